import secrets

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.api_tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    api_token_create,
    api_token_list,
    api_token_revoke_all,
)
from core.commands import resolve_actor
from core.models import User
from core.roles import Role
from core.services import staff_user_create


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = (
        "The API account of the national cross-region settlement platform (跨区域结算平台), which sends our "
        "insured's direct settlements made elsewhere. Creates the account if needed and issues a token if it "
        "has none that works; the key is printed once and never stored (only its hash). --rotate replaces "
        "the working tokens, --revoke withdraws them, --list shows them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="the platform account's username, e.g. remote_platform")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rotate", action="store_true", help="revoke the working tokens and issue a new one")
        action.add_argument("--revoke", action="store_true", help="revoke all working tokens")
        action.add_argument("--list", action="store_true", help="list the account's tokens")
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"validity of a new token in days (1-{MAX_DAYS})"
        )
        parser.add_argument("--user", help="staff user named in the audit trail (default: the system)")

    def handle(self, *args, **opts):
        actor = resolve_actor(opts["user"])
        username = (opts["username"] or "").strip()
        if not username:
            raise CommandError("--username is required")
        user = User.objects.filter(username=username).first()
        if user is not None and user.role != Role.REMOTE_PLATFORM:
            raise CommandError(f"{username!r} exists and is not a cross-region platform account")
        if opts["list"] or opts["revoke"]:
            if user is None:
                raise CommandError(f"no platform account {username!r}")
            if opts["list"]:
                self._list(user)
            else:
                revoked = api_token_revoke_all(actor=actor, user=user)
                self.stdout.write(f"revoked {len(revoked)} token(s) of {user.username}")
            return
        if not 1 <= opts["days"] <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}")
        if user is None:
            # Token only: the password is random and never shown, so the account cannot log in to pages.
            user = staff_user_create(
                actor=actor,
                username=username,
                password=secrets.token_urlsafe(32),
                role=Role.REMOTE_PLATFORM,
                district_id=None,  # city-wide: the patient may be insured in any district
                full_name="跨区域结算平台",
            )
        working = [t for t in api_token_list(user=user) if t.is_active()]
        if opts["rotate"]:
            api_token_revoke_all(actor=actor, user=user)
        elif working:
            prefixes = ", ".join(t.prefix for t in working)
            self.stdout.write(
                f"{user.username} already has a working token ({prefixes}); its key was shown when it was "
                "issued and is not stored. Use --rotate for a new one."
            )
            return
        token, key = api_token_create(actor=actor, user=user, days=opts["days"])
        self.stdout.write(f"{user.username} {key}")
        self.stderr.write(
            f"token {token.prefix}… valid until {_when(token.expires_at)}; the key is shown this once only."
        )

    def _list(self, user):
        now = timezone.now()
        self.stdout.write("account\tprefix\tcreated\texpires\tlast used\tstatus")
        for token in api_token_list(user=user):
            if token.revoked_at:
                status = f"revoked {_when(token.revoked_at)}"
            elif token.expires_at <= now:
                status = "expired"
            else:
                status = "active"
            self.stdout.write(
                f"{token.user.username}\t{token.prefix}\t{_when(token.created_at)}\t{_when(token.expires_at)}\t"
                f"{_when(token.last_used_at)}\t{status}"
            )
