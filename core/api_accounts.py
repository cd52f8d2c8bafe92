"""What the API-account commands share: issuing a token to a system account (once, unless asked to rotate)
and listing tokens as operators read them. The key is printed once and never stored (only its hash)."""

from django.utils import timezone

from .api_tokens import api_token_create, api_token_list, api_token_revoke_all
from .models import User


def when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def token_lines(*, user: User | None) -> list[str]:
    """A header and one tab-separated line per token (of `user`, or of every account)."""
    now = timezone.now()
    lines = ["account\tprefix\tcreated\texpires\tlast used\tstatus"]
    for token in api_token_list(user=user):
        if token.revoked_at:
            status = f"revoked {when(token.revoked_at)}"
        elif token.expires_at <= now:
            status = "expired"
        else:
            status = "active"
        lines.append(
            f"{token.user.username}\t{token.prefix}\t{when(token.created_at)}\t{when(token.expires_at)}\t"
            f"{when(token.last_used_at)}\t{status}"
        )
    return lines


def token_issue(*, actor: User | None, user: User, days: int, rotate: bool) -> tuple[list[str], list[str]]:
    """(stdout lines, stderr lines): a new key when the account has no working token or `rotate`;
    otherwise a note that it already has one (its key cannot be shown again)."""
    working = [t for t in api_token_list(user=user) if t.is_active()]
    if rotate:
        api_token_revoke_all(actor=actor, user=user)
    elif working:
        prefixes = ", ".join(t.prefix for t in working)
        return [
            f"{user.username} already has a working token ({prefixes}); its key was shown when it was "
            "issued and is not stored. Use --rotate for a new one."
        ], []
    token, key = api_token_create(actor=actor, user=user, days=days)
    return [f"{user.username} {key}"], [
        f"token {token.prefix}… valid until {when(token.expires_at)}; the key is shown this once only."
    ]
