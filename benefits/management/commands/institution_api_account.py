import secrets

from django.core.management.base import BaseCommand, CommandError

from benefits.models import Institution
from core.api_accounts import token_issue, token_lines
from core.api_tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    api_token_list,
    api_token_revoke,
    api_token_revoke_all,
)
from core.commands import resolve_actor
from core.models import User
from core.roles import Role
from core.services import staff_user_create


class Command(BaseCommand):
    help = (
        "The API account of a designated institution and its tokens. Without options: create the account "
        "if needed and issue a token if it has none that works; the key is printed once and never stored "
        "(only its hash). --rotate replaces the working tokens, --revoke withdraws them, --list shows them."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="12-character institution code, e.g. H50010300001")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rotate", action="store_true", help="revoke the working tokens and issue a new one")
        action.add_argument("--revoke", action="store_true", help="revoke tokens (all working ones, or --prefix)")
        action.add_argument("--list", action="store_true", help="list tokens (of every institution without code)")
        parser.add_argument("--prefix", help="with --revoke: only the token starting with this prefix")
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"validity of a new token in days (1-{MAX_DAYS})"
        )
        parser.add_argument("--user", help="staff user named in the audit trail (default: the system)")

    def handle(self, *args, **opts):
        actor = resolve_actor(opts["user"])
        if opts["list"] and not opts["code"]:
            self._list(None)
            return
        if not opts["code"]:
            raise CommandError("an institution code is required")
        institution = Institution.objects.filter(code=opts["code"].upper()).first()
        if institution is None:
            raise CommandError(f"unknown institution {opts['code']!r}")
        user = User.objects.filter(role=Role.INSTITUTION, institution=institution).first()
        if opts["list"]:
            if user is None:
                raise CommandError("this institution has no API account")
            self._list(user)
            return
        if opts["revoke"]:
            self._revoke(actor, user, opts["prefix"])
            return
        if opts["prefix"]:
            raise CommandError("--prefix goes with --revoke")
        if not 1 <= opts["days"] <= MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {MAX_DAYS}")
        if user is None:
            # Token only: the password is random and never shown, so the account cannot log in to pages.
            user = staff_user_create(
                actor=actor,
                username=f"inst_{institution.code.lower()}",
                password=secrets.token_urlsafe(32),
                role=Role.INSTITUTION,
                district_id=institution.district_id,
                institution_id=institution.pk,
                full_name=institution.name[:150],
            )
        out, err = token_issue(actor=actor, user=user, days=opts["days"], rotate=opts["rotate"])
        self.stdout.write("\n".join(out))
        if err:
            self.stderr.write("\n".join(err))

    def _revoke(self, actor, user, prefix):
        if user is None:
            raise CommandError("this institution has no API account")
        if prefix:
            token = api_token_list(user=user).filter(prefix=prefix).first()
            if token is None:
                raise CommandError(f"no token {prefix!r} for {user.username}")
            revoked = [api_token_revoke(actor=actor, token_id=token.pk)]
        else:
            revoked = api_token_revoke_all(actor=actor, user=user)
        self.stdout.write(f"revoked {len(revoked)} token(s) of {user.username}")

    def _list(self, user):
        self.stdout.write("\n".join(token_lines(user=user)))
