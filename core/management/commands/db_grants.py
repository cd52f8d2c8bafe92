from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from core.db_roles import RoleSetupError, grants_apply


class Command(BaseCommand):
    help = (
        "PostgreSQL: give the runtime role exactly what the application needs (rows of every table, only "
        "SELECT and INSERT on the audit trail, no ownership) and the same for tables later migrations "
        "create. Run as the schema owner after every migrate (DATABASE_URL = the owner's URL); re-runnable."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runtime-role", required=True, help="the role the application connects as")
        parser.add_argument("--database", default="default", help="database alias (default: default)")
        parser.add_argument("--show", action="store_true", help="print the statements")

    def handle(self, *args, **options) -> None:
        try:
            statements = grants_apply(runtime_role=options["runtime_role"], db=connections[options["database"]])
        except RoleSetupError as exc:
            raise CommandError(str(exc)) from exc
        if options["show"]:
            for sql in statements:
                self.stdout.write(sql.strip() + ";")
        self.stdout.write(self.style.SUCCESS(f"granted to {options['runtime_role']}: {len(statements)} statements"))
