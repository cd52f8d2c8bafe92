from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """操作日志: append-only. Services write it in the same transaction as the change.

    A database trigger rejects UPDATE and DELETE (see migrations 0002 and 0005_audit_chain), the
    runtime role may only SELECT and INSERT it (core/db_roles.py), and each event is chained to the one
    before it by a hash (core/audit_chain.py), so a change made around all that is found by audit_verify.
    Events are kept at least 180 days (等保 2.0); nothing in the code deletes them.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        STATUS = "status", _("状态变更")
        VIEW_SENSITIVE = "view_sensitive", _("查看敏感信息")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出")
        JOB = "job", _("批处理")
        IMPORT = "import", _("导入")

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "core.User", verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept as text so the trail still reads right after a user is renamed or disabled.
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    district = models.ForeignKey(
        "core.District", verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    old_values = models.JSONField(_("原值"), null=True, blank=True)
    new_values = models.JSONField(_("新值"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    # Tamper evidence (core/audit_chain.py): empty until the seal step chains the event, then written
    # once; the trigger refuses any other change.
    chain_seq = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    chain_hash = models.CharField(_("链哈希"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="auditevent_object_idx"),
            models.Index(fields=["district", "-id"], name="auditevent_district_idx"),
            models.Index(fields=["actor", "-id"], name="auditevent_actor_idx"),
            models.Index(fields=["id"], condition=models.Q(chain_seq__isnull=True), name="auditevent_unsealed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("AuditEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("AuditEvent is append-only")
