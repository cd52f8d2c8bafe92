"""API tokens of the institutions' systems (定点机构接口), stored only as a hash.

Why our own small model rather than a library (issue 13, finding 7):

* DRF's ``rest_framework.authtoken`` keeps the key itself in the database (and showed it in the
  admin): anyone who reads a backup or the table can act as a hospital. It has no expiry either.
* django-rest-knox does store only a hash and has expiry, and works with Django 5.2 / DRF 3.18, but
  it is built around its own login view (a user logs in with a password and gets a token back),
  which our institution accounts never do: the bureau issues their tokens on the command line.
  Its revocation deletes the row, so the bureau could no longer answer "which token was that and
  who revoked it when"; it keeps no "last used"; its error messages are English; and it is one more
  dependency for about sixty lines of code.
* So: a random 40-byte key (``secrets.token_urlsafe``) shown once; the database keeps its SHA-256 and
  the first characters (``prefix``) to find the row and to name the token in lists and the audit
  trail. SHA-256 without salt or stretching is right here: the key is 320 random bits, not a
  password, so there is nothing to guess. Every token expires; revoking keeps the row
  (``revoked_at``, ``revoked_by``); ``last_used_at`` is refreshed at most once a minute.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(
        "core.User", verbose_name=_("接口账号"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(_("令牌前缀"), max_length=12, unique=True)
    digest = models.CharField(_("令牌摘要"), max_length=64, unique=True, help_text=_("SHA-256，十六进制"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(_("有效期至"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "core.User", verbose_name=_("吊销人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="apitoken_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
