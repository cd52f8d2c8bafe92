from django.core.management.base import BaseCommand

from contributions.selectors import coverage_year_default
from core.commands import resolve_actor, resolve_district, run_job_inline


class Command(BaseCommand):
    help = (
        "年度缴费征收: bills for every active resident for the coverage year (aid subsidies applied), "
        "employee account credits scheduled. Safe to re-run; --resume continues a killed run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            help="default: the latest year that has a contribution standard (coverage_year_default)",
        )
        parser.add_argument("--district", help="6-digit district code; default: the whole city")
        parser.add_argument("--user", help="act as this staff user (recorded in the audit trail)")
        parser.add_argument("--resume", type=int, help="id of a failed run to continue from its checkpoint")

    def handle(self, *args, **opts):
        params = {"year": opts["year"] or coverage_year_default(), "district_id": resolve_district(opts["district"])}
        run = run_job_inline(
            kind="annual_collection", params=params, actor=resolve_actor(opts["user"]), resume=opts["resume"]
        )
        self.stdout.write(self.style.SUCCESS(f"job {run.pk} {run.status}: {run.counts}"))
