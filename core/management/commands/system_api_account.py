import secrets

from django.core.management.base import BaseCommand, CommandError

from core.api_accounts import token_issue, token_lines
from core.api_tokens import DEFAULT_DAYS, MAX_DAYS, api_token_revoke_all
from core.commands import resolve_actor
from core.models import User
from core.roles import Role
from core.services import staff_user_create

# City-wide system accounts that only call the API, and what each is called in the user list.
SYSTEM_ROLES = {
    Role.REMOTE_PLATFORM: "跨区域结算平台",  # sends our insured's direct settlements made elsewhere
    Role.SELF_SERVICE: "自助服务渠道",  # files 异地就医备案 for the person it identified
}


class Command(BaseCommand):
    help = (
        "The API account of a system outside the bureau: the national cross-region settlement platform "
        "(--role remote_platform) or a self-service channel (--role self_service). Creates the account if "
        "needed and issues a token if it has none that works; the key is printed once and never stored "
        "(only its hash). --rotate replaces the working tokens, --revoke withdraws them, --list shows them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, choices=sorted(SYSTEM_ROLES), help="what the system is")
        parser.add_argument("--username", required=True, help="the account's username, e.g. nhsa_platform")
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
        role = opts["role"]
        username = (opts["username"] or "").strip()
        if not username:
            raise CommandError("--username is required")
        user = User.objects.filter(username=username).first()
        if user is not None and user.role != role:
            raise CommandError(f"{username!r} exists and is not a {role} account")
        if opts["list"] or opts["revoke"]:
            if user is None:
                raise CommandError(f"no {role} account {username!r}")
            if opts["list"]:
                self.stdout.write("\n".join(token_lines(user=user)))
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
                role=role,
                district_id=None,  # city-wide: the person may be insured in any district
                full_name=SYSTEM_ROLES[role],
            )
        out, err = token_issue(actor=actor, user=user, days=opts["days"], rotate=opts["rotate"])
        self.stdout.write("\n".join(out))
        if err:
            self.stderr.write("\n".join(err))
