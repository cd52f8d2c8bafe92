import secrets

from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from benefits.models import Institution
from core.models import User
from core.roles import Role
from core.services import staff_user_create


class Command(BaseCommand):
    help = "Create (or show) the API account of a designated institution and print its token."

    def add_arguments(self, parser):
        parser.add_argument("code", help="12-character institution code, e.g. H50010300001")
        parser.add_argument("--rotate", action="store_true", help="replace the token")

    def handle(self, *args, **opts):
        institution = Institution.objects.filter(code=opts["code"].upper()).first()
        if institution is None:
            raise CommandError(f"unknown institution {opts['code']!r}")
        user = User.objects.filter(role=Role.INSTITUTION, institution=institution).first()
        if user is None:
            # Token only: the password is random and never shown, so the account cannot log in to pages.
            user = staff_user_create(
                actor=None,
                username=f"inst_{institution.code.lower()}",
                password=secrets.token_urlsafe(32),
                role=Role.INSTITUTION,
                district_id=institution.district_id,
                institution_id=institution.pk,
                full_name=institution.name[:150],
            )
        if opts["rotate"]:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"{user.username} {token.key}")
