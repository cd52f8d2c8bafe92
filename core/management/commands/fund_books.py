from django.core.management.base import BaseCommand, CommandError

from core.commands import resolve_actor
from core.ledger import books_backfill, books_reconcile
from core.ledger_jobs import differences_report


class Command(BaseCommand):
    help = (
        "The fund books. 'reconcile' compares every book with the sums of its records (bills, payments, "
        "settlements, account credits and payments) and exits 1 on any difference, printing each; "
        "'backfill' posts the records the books do not hold yet (idempotent: a second run posts nothing)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["reconcile", "backfill"])
        parser.add_argument("--year", type=int, help="only this coverage year (default: every year)")
        parser.add_argument("--as-user", help="staff username the audit trail names (backfill)")

    def handle(self, *args, **options) -> None:
        year = options["year"]
        if options["action"] == "backfill":
            counts = books_backfill(actor=resolve_actor(options["as_user"]), year=year)
            posted = ", ".join(f"{source} {n}" for source, n in counts.items())
            self.stdout.write(self.style.SUCCESS(f"backfill: entries posted per source: {posted}"))
            return
        found = books_reconcile(year=year)
        if found:
            for line in differences_report(found):
                self.stdout.write(line)
            raise CommandError(f"{len(found)} differences between the fund books and their records")
        scope = f"{year}" if year else "every year"
        self.stdout.write(self.style.SUCCESS(f"fund books agree with their records ({scope})"))
