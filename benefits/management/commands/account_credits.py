from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.commands import resolve_actor, resolve_district
from core.services import job_run_create
from core.tasks import enqueue_job


class Command(BaseCommand):
    help = "个人账户划入: credit every active employee's personal account for one month. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, required=True)
        parser.add_argument("--district", help="6-digit district code; default: the whole city")
        parser.add_argument("--user", help="act as this staff user (recorded in the audit trail)")

    def handle(self, *args, **opts):
        actor = resolve_actor(opts["user"])
        district_id = resolve_district(opts["district"])
        params = {"year": opts["year"], "month": opts["month"], "district_id": district_id}
        run = job_run_create(actor=actor, kind="account_credits", params=params, district_id=district_id)
        try:
            enqueue_job(run, inline=True)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        run.refresh_from_db()
        if run.error:
            raise CommandError(run.error)
        self.stdout.write(self.style.SUCCESS(f"job {run.pk} {run.status}: {run.counts}"))
