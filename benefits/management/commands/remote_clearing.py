from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from benefits.clearing_jobs import KIND
from benefits.services.clearing import clearing_month_parse, clearing_reconcile
from core.areas import area_code_clean
from core.commands import resolve_actor
from core.services import job_run_create
from core.tasks import enqueue_job


class Command(BaseCommand):
    help = (
        "异地就医清算. 'generate --month YYYY-MM [--area CODE]' drafts the month's statements with every "
        "counterpart area (a recorded job run; confirmed and paid statements are left as they are); "
        "'reconcile [--month YYYY-MM]' checks the statements against their lines and the settlements and "
        "exits 1 on any difference, printing each."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["generate", "reconcile"])
        parser.add_argument("--month", help="YYYY-MM (generate: required)")
        parser.add_argument("--area", help="6-digit code of one counterpart area (generate)")
        parser.add_argument("--user", help="act as this staff user (recorded in the audit trail)")

    def handle(self, *args, **opts) -> None:
        try:
            month = clearing_month_parse(opts["month"]) if opts["month"] else None
            area = area_code_clean(opts["area"], field="area") if opts["area"] else None
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        if opts["action"] == "reconcile":
            found = clearing_reconcile(month=month)
            for line in found:
                self.stdout.write(line)
            if found:
                raise CommandError(f"清算单与结算记录不符，共 {len(found)} 处")
            self.stdout.write(self.style.SUCCESS("清算单与结算记录一致"))
            return
        if month is None:
            raise CommandError("请用 --month 指定清算月份，如 --month 2023-05")
        actor = resolve_actor(opts["user"])
        params = {"month": f"{month:%Y-%m}", "area_code": area}
        run = job_run_create(actor=actor, kind=KIND, params=params)
        try:
            enqueue_job(run, inline=True)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        run.refresh_from_db()
        if run.error:
            raise CommandError(run.error)
        self.stdout.write(self.style.SUCCESS(f"job {run.pk} {run.status}: {run.counts}"))
