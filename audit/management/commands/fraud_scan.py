from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from audit.fraud import fraud_scan_start
from core.commands import resolve_actor


class Command(BaseCommand):
    help = "疑点筛查: run the active fraud rules (or one) over a date window. Safe to run again: no hit twice."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first service date, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last service date, YYYY-MM-DD")
        parser.add_argument("--rule", action="append", dest="rules", help="rule code; repeat for several")
        parser.add_argument("--user", help="act as this staff user (recorded in the audit trail)")

    def handle(self, *args, **opts):
        actor = resolve_actor(opts["user"])
        try:
            run = fraud_scan_start(
                actor=actor, start=opts["start"], end=opts["end"], rule_codes=opts["rules"], inline=True
            )
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("; ".join(messages)) from None
        run.refresh_from_db()
        if run.error:
            raise CommandError(run.error)
        self.stdout.write(self.style.SUCCESS(f"job {run.pk} {run.status}: {run.counts}"))
