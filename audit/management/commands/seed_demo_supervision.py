"""make run: give fund supervision something to show on the demo data (after seed_demo_benefits)."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.db.models import Sum

from audit.credit_rating import credit_rating_compute
from audit.demo_books import demo_books_seed, demo_budget_seed
from audit.fraud import fraud_scan
from core.management.commands.seed_demo_users import DEMO_YEAR
from core.models import JournalLine


class Command(BaseCommand):
    help = "Scan the demo year for suspicions and rate the demo institutions (safe to run again)."

    def handle(self, *args, **options) -> None:
        suspicions = fraud_scan(actor=None, start=dt.date(DEMO_YEAR, 1, 1), end=dt.date(DEMO_YEAR, 12, 31))
        ratings = credit_rating_compute(year=DEMO_YEAR)
        entries = demo_books_seed(year=DEMO_YEAR)
        actual: dict = {}
        for fund, account, total in (
            JournalLine.objects.filter(year=DEMO_YEAR)
            .values_list("account__fund__code", "account__code")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            actual.setdefault(fund, {})[account] = abs(total)
        budget = demo_budget_seed(year=DEMO_YEAR, actual=actual)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo supervision: {suspicions.get('created', 0)} suspicions, {ratings['rated']} institutions rated, "
                f"{entries} opening and allocation entries, {budget} budget lines"
            )
        )
