"""Demo data for a laptop: the demo people's bills for the demo year (DEMO_YEAR), after seed_demo_people.

Residents: a third of them paid, most in the collection period before the year (渝医保发〔2022〕25号: until
31 Dec of the year before), some late, in the year's first quarter at the counter. Employees: every
month's contribution paid in that month of the year. So the person pages show bills with payments, and
the fund page shows income in the demo year.
"""

import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand

from contributions.collection import contribution_bills_issue
from contributions.models import ContributionBill
from contributions.services import payment_record
from core.demo_clock import demo_clock
from core.management.commands.seed_demo_users import DEMO_YEAR
from core.money import to_fen
from enrollment.models import Scheme

MONTHS = 12


class Command(BaseCommand):
    help = "Issue the demo year's bills and pay some of them (does nothing if the year is already billed)."

    def handle(self, *args, **opts):
        year = DEMO_YEAR
        if ContributionBill.objects.filter(coverage_year=year).exists():
            self.stdout.write(f"{year} bills already present: demo bills not issued again")
            return
        with demo_clock(dt.date(year - 1, 9, 1)):  # the collection period opens in the autumn before the year
            bills = contribution_bills_issue(actor=None, coverage_year=year)
        unpaid = ContributionBill.objects.filter(coverage_year=year, status="unpaid").order_by("id")
        payments = 0
        residents = list(unpaid.filter(scheme=Scheme.RESIDENT))[::3]
        for n, bill in enumerate(residents):
            if n % 4 == 3:  # late: at the counter in the first quarter of the year
                paid_on, channel = dt.date(year, 1 + n % 3, 5 + n % 20), "counter"
            else:  # in the collection period, through the tax bureau
                paid_on, channel = dt.date(year - 1, 10 + n % 3, 1 + n % 28), "tax"
            payment_record(
                actor=None, bill=bill, amount=bill.outstanding, paid_on=paid_on,
                reference=f"DEMO-{bill.pk:06d}", channel=channel,
            )  # fmt: skip
            payments += 1
        for bill in unpaid.filter(scheme=Scheme.EMPLOYEE):
            monthly = to_fen(bill.outstanding / MONTHS)
            for month in range(1, MONTHS + 1):
                amount = monthly if month < MONTHS else bill.due_amount - bill.subsidy_amount - monthly * (MONTHS - 1)
                if amount <= Decimal(0):
                    continue
                payment_record(
                    actor=None, bill=bill, amount=amount, paid_on=dt.date(year, month, 15),
                    reference=f"DEMO-{bill.pk:06d}-{month:02d}", channel="tax",
                )  # fmt: skip
                payments += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {bills['created']} bills for {year}, {len(residents)} residents paid, {payments} payments"
            )
        )
