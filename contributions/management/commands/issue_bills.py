from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contributions.collection import contribution_bills_issue
from contributions.selectors import coverage_year_default
from core.commands import resolve_actor, resolve_district


class Command(BaseCommand):
    help = "Issue contribution bills for every active enrollment of a coverage year. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            help="coverage year; default: the latest year that has a contribution standard (coverage_year_default)",
        )
        parser.add_argument("--district")
        parser.add_argument("--user")

    def handle(self, *args, **opts):
        opts["year"] = opts["year"] or coverage_year_default()
        try:
            counts = contribution_bills_issue(
                actor=resolve_actor(opts["user"]),
                coverage_year=opts["year"],
                district_id=resolve_district(opts["district"]),
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"bills for {opts['year']}: {counts}"))
