"""Demo data for a laptop: the demo people's 2023 bills, a third of them paid (after seed_demo_people)."""

import datetime as dt

from django.core.management.base import BaseCommand

from contributions.models import ContributionBill
from contributions.services import contribution_bills_issue, payment_record


class Command(BaseCommand):
    help = "Issue the demo year's bills and pay some of them (does nothing if the year is already billed)."

    def handle(self, *args, **opts):
        if ContributionBill.objects.filter(coverage_year=2023).exists():
            self.stdout.write("2023 bills already present: demo bills not issued again")
            return
        bills = contribution_bills_issue(actor=None, coverage_year=2023)
        paid = 0
        for bill in ContributionBill.objects.filter(coverage_year=2023, status="unpaid").order_by("id")[::3]:
            payment_record(
                actor=None, bill=bill, amount=bill.outstanding, paid_on=dt.date(2022, 12, 20),
                reference=f"DEMO-{bill.pk:06d}", channel="tax",
            )  # fmt: skip
            paid += 1
        self.stdout.write(self.style.SUCCESS(f"demo: {bills['created']} bills, {paid} paid"))
