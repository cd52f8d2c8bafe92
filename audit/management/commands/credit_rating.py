from django.core.management.base import BaseCommand, CommandError

from core.commands import resolve_actor
from core.services import job_run_create
from core.tasks import enqueue_job


class Command(BaseCommand):
    help = "信用评价: rate every designated institution for one year. Safe to run again (updates the same rows)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--user", help="act as this staff user (recorded in the audit trail)")

    def handle(self, *args, **opts):
        if not 2000 <= opts["year"] <= 2100:
            raise CommandError("--year must be a four-digit year, e.g. 2023")
        run = job_run_create(actor=resolve_actor(opts["user"]), kind="credit_rating", params={"year": opts["year"]})
        enqueue_job(run, inline=True)
        run.refresh_from_db()
        if run.error:
            raise CommandError(run.error)
        self.stdout.write(self.style.SUCCESS(f"job {run.pk} {run.status}: {run.counts}"))
