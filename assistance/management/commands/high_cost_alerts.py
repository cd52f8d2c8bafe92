from django.core.management.base import BaseCommand, CommandError

from core.commands import resolve_actor, resolve_district
from core.services import job_run_create
from core.tasks import enqueue_job


class Command(BaseCommand):
    help = "高额费用负担预警: flag people whose yearly out-of-pocket passed YIBAO_HIGH_COST_THRESHOLD. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--district", help="6-digit district code; default: the whole city")
        parser.add_argument("--user", help="act as this staff user (recorded in the audit trail)")

    def handle(self, *args, **opts):
        actor = resolve_actor(opts["user"])
        district_id = resolve_district(opts["district"])
        params = {"year": opts["year"], "district_id": district_id}
        run = job_run_create(actor=actor, kind="high_cost_alerts", params=params, district_id=district_id)
        enqueue_job(run, inline=True)
        run.refresh_from_db()
        if run.error:
            raise CommandError(run.error)
        self.stdout.write(self.style.SUCCESS(f"job {run.pk} {run.status}: {run.counts}"))
