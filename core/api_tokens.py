"""Issuing, checking and revoking API tokens (the model and why it is ours: core/models/tokens.py).

The key is returned once by `api_token_create` and never stored; everything else works on its hash.
"""

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import ApiToken, AuditEvent, User
from core.services import acting_user, audit_event_record

PREFIX_LENGTH = 8
DEFAULT_DAYS = 365
MAX_DAYS = 730
# `last_used_at` is written at most this often per token, so machine traffic does not turn every
# request into an UPDATE of the same row.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _audit_values(token: ApiToken) -> dict:
    return {
        "user": token.user.get_username(),
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def api_token_create(*, actor: User | None, user: User, days: int = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token for `user`, valid `days` days. Returns the row and the key: show the key once."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    for _attempt in range(5):  # a prefix collision is about 1 in 2**48 per pair; try again
        key = secrets.token_urlsafe(40)
        now = timezone.now()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    prefix=key[:PREFIX_LENGTH],
                    digest=token_digest(key),
                    created_at=now,
                    created_by=acting_user(actor),
                    expires_at=now + dt.timedelta(days=days),
                )
                audit_event_record(
                    actor=actor,
                    action=AuditEvent.Action.CREATE,
                    obj=token,
                    object_repr=f"接口令牌 {token.prefix}…（{user.get_username()}）",
                    district_id=user.district_id,
                    new_values=_audit_values(token),
                    note="签发接口令牌",
                )
        except IntegrityError:
            continue
        return token, key
    raise RuntimeError("could not draw a unique token prefix")


@transaction.atomic
def api_token_revoke(*, actor: User | None, token_id: int) -> ApiToken:
    """Revoke one token; the row stays for the record. Revoking a revoked token changes nothing."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token_id)
    if token.revoked_at is not None:
        return token
    old = _audit_values(token)
    token.revoked_at = timezone.now()
    token.revoked_by = acting_user(actor)
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=token,
        object_repr=f"接口令牌 {token.prefix}…（{token.user.get_username()}）",
        district_id=token.user.district_id,
        old_values={"revoked_at": old["revoked_at"]},
        new_values={"revoked_at": token.revoked_at.isoformat()},
        note="吊销接口令牌",
    )
    return token


def api_token_revoke_all(*, actor: User | None, user: User) -> list[ApiToken]:
    """Revoke every token of `user` that still works (rotation and a lost key)."""
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    return [api_token_revoke(actor=actor, token_id=pk) for pk in list(active)]


def api_token_list(*, user: User | None = None):
    """Tokens for the operator's list, newest first; of one account or of all."""
    tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
    return tokens.filter(user=user) if user is not None else tokens


def api_token_find(key: str) -> ApiToken | None:
    """The token whose key this is (whatever its state), or None. Looks up by prefix, compares hashes."""
    if len(key) < PREFIX_LENGTH or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=key[:PREFIX_LENGTH]).first()
    if token is None or not hmac.compare_digest(token.digest, token_digest(key)):
        return None
    return token


def api_token_touch(token: ApiToken) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION (a conditional UPDATE, no lock, no audit)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
