"""make run: give fund supervision something to show on the demo data (after seed_demo_benefits)."""

import datetime as dt

from django.core.management.base import BaseCommand

from audit.credit_rating import credit_rating_compute
from audit.fraud import fraud_scan
from core.management.commands.seed_demo_users import DEMO_YEAR


class Command(BaseCommand):
    help = "Scan the demo year for suspicions and rate the demo institutions (safe to run again)."

    def handle(self, *args, **options) -> None:
        suspicions = fraud_scan(actor=None, start=dt.date(DEMO_YEAR, 1, 1), end=dt.date(DEMO_YEAR, 12, 31))
        ratings = credit_rating_compute(year=DEMO_YEAR)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo supervision: {suspicions.get('created', 0)} suspicions, {ratings['rated']} institutions rated"
            )
        )
