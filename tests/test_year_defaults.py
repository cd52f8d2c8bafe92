"""Year fields offer the latest year with a contribution standard, and `make setup` gives a demo whose
dates agree with that year (issue 11, finding 5 and must-show 5).

Before: every year field offered the calendar year (2026), which has no standard, so 生成缴费单 failed
for every year the demo could offer, and the demo's enrollments started "today".
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Min
from django.utils import timezone

from assistance.forms import ApplicationSubmitForm
from assistance.models import AidPolicy
from audit.fund_selectors import fund_books
from audit.models import Suspicion
from benefits.models import Settlement
from contributions.models import ContributionBill, ContributionPayment, ContributionStandard
from contributions.selectors import coverage_year_default
from core.jobs import REGISTRY
from core.management.commands.seed_demo_users import DEMO_USERS, DEMO_YEAR
from core.models import User
from enrollment.models import Enrollment
from tests.factories import ResidentEnrollmentFactory
from tests.seeding import reseed

pytestmark = pytest.mark.django_db


def _bill_year_offered(html: str) -> str:
    match = re.search(r'<input name="coverage_year" value="(\d*)"', html)
    assert match, "the person page has no 生成缴费单 year field"
    return match.group(1)


def test_default_is_the_latest_year_with_a_standard_not_the_calendar_year(standards_2023):
    assert timezone.localdate().year > 2023  # the calendar year has no standard here
    assert not ContributionStandard.objects.filter(year=timezone.localdate().year).exists()
    assert coverage_year_default() == 2023


def test_person_page_offers_the_default_year_for_a_bill(standards_2023, client_for, clerk_yuzhong):
    person = ResidentEnrollmentFactory().person
    html = client_for(clerk_yuzhong).get(f"/enrollment/people/{person.pk}/").content.decode()
    assert _bill_year_offered(html) == "2023"
    # a standard for a later year (carried forward by 年度结转, say) moves the offer along
    ContributionStandard.objects.create(year=2024, scheme="resident", category="adult", tier=1, individual_amount=380)
    html = client_for(clerk_yuzhong).get(f"/enrollment/people/{person.pk}/").content.decode()
    assert _bill_year_offered(html) == str(coverage_year_default()) == "2024"


def test_the_offered_year_bills_without_error(standards_2023, client_for, clerk_yuzhong):
    """The year the page offers is one 生成缴费单 can bill (the calendar year could not)."""
    enrollment = ResidentEnrollmentFactory(start_date=dt.date(2023, 1, 1))
    client = client_for(clerk_yuzhong)
    year = _bill_year_offered(client.get(f"/enrollment/people/{enrollment.person_id}/").content.decode())
    response = client.post(f"/contributions/enrollments/{enrollment.pk}/bill/", {"coverage_year": year}, follow=True)
    assert "已生成2023年度缴费单" in response.content.decode()
    bill = ContributionBill.objects.get(person_id=enrollment.person_id)
    assert (bill.coverage_year, bill.due_amount) == (2023, Decimal("350.00"))


def test_yearly_jobs_offer_the_default_year(standards_2023):
    """Every job started for a year offers a year with data (high-cost alerts: the aid policy's year)."""
    assert {kind for kind, job in REGISTRY.items() if job.start == "year" and job.default_year is None} == set()
    for kind in ("annual_collection", "annual_rollover", "high_cost_alerts"):
        job = REGISTRY[kind]
        assert job.start == "year"
        assert job.default_year is not None and job.default_year() == 2023


def test_year_commands_default_to_the_default_year(standards_2023, districts):
    ResidentEnrollmentFactory(start_date=dt.date(2023, 3, 1))
    call_command("annual_collection")  # no --year
    assert list(ContributionBill.objects.values_list("coverage_year", flat=True)) == [2023]


def test_seeded_standards_mark_every_figure_not_in_the_seeds_as_a_default(standards_2023):
    rows = {(s.scheme, s.category, s.tier): s for s in ContributionStandard.objects.filter(year=2023)}
    # From 渝医保发〔2022〕25号: residents 350/725, students 320/695, fiscal subsidy 610.
    for key, amount in {("resident", "adult", 1): "350", ("resident", "adult", 2): "725",
                        ("resident", "student", 1): "320", ("resident", "student", 2): "695"}.items():  # fmt: skip
        assert rows[key].individual_amount == Decimal(amount) and rows[key].fiscal_subsidy == Decimal("610")
        assert rows[key].source == "渝医保发〔2022〕25号"
    # The employee rates are in no seed: configurable defaults, said so in their source.
    assert {rows[k].source for k in rows if k[0] == "employee"} == {
        "可配置默认值（种子文件未规定职工费率，待经办机构确认）"
    }


@pytest.mark.django_db(transaction=True)  # the import pipeline commits; so do the batches side by side
def test_make_setup_gives_a_demo_of_one_year():
    """The Makefile's `setup` sequence after migrate: every date of the demo agrees with DEMO_YEAR, the year
    the pages offer, and the pages that read a year find data for it."""
    reseed()  # what `migrate` seeds (an earlier transactional test may have emptied it)
    for command in ("load_reference", ("benefit_policy", "load"), "seed_demo_users", "seed_demo_people",
                    "seed_demo_contributions", "seed_demo_benefits", "seed_demo_supervision"):  # fmt: skip
        call_command(*([command] if isinstance(command, str) else command))

    assert DEMO_YEAR == 2023 == coverage_year_default()
    last_day = dt.date(DEMO_YEAR, 12, 31)
    enrollments = Enrollment.objects.all()
    assert enrollments.count() == 400
    assert not enrollments.filter(start_date__gt=dt.date(DEMO_YEAR, 1, 1)).exists()
    bills = ContributionBill.objects.all()
    assert set(bills.values_list("coverage_year", flat=True)) == {DEMO_YEAR}
    assert bills.count() == 400  # every demo enrollment is billed for the demo year
    assert bills.filter(status="paid").count() > 100 and bills.filter(status="unpaid").exists()
    payments = ContributionPayment.objects.all()
    in_year = payments.filter(paid_on__year=DEMO_YEAR)
    # residents in the collection period before the year (or late in it), employees month by month
    assert in_year.count() > payments.count() / 2
    assert not payments.filter(paid_on__gt=last_day).exists()
    assert set(in_year.dates("paid_on", "month").values_list("paid_on__month", flat=True)) == set(range(1, 13))
    settlements = Settlement.objects.all()
    assert settlements.count() >= 80
    assert settlements.aggregate(first=Min("service_date"))["first"] >= dt.date(DEMO_YEAR, 1, 1)
    assert not settlements.filter(service_date__gt=last_day).exists()
    # 疑点筛查 finds more than one kind of pattern in the year
    rules = set(Suspicion.objects.values_list("rule__code", flat=True))
    assert {"DUP_SETTLEMENT", "SPLIT_ADMISSION", "CASH_OUT"} <= rules
    # the fund page of the year has income and spending in both schemes
    admin = User.objects.get(username=next(u[0] for u in DEMO_USERS if u[1] == "municipal_admin"))
    books = fund_books(fetched_by=admin, year=DEMO_YEAR)
    for fund in ("employee_pooled", "resident_pooled"):
        book = next(b for b in books["funds"] if b["fund"] == fund)
        assert book["income_total"] > 0 and book["expense_total"] > 0, fund


def test_issuing_the_offered_year_twice_says_the_bill_exists(standards_2023, client_for, clerk_yuzhong):
    enrollment = ResidentEnrollmentFactory(start_date=dt.date(2023, 1, 1))
    client = client_for(clerk_yuzhong)
    url = f"/contributions/enrollments/{enrollment.pk}/bill/"
    assert "已生成2023年度缴费单" in client.post(url, {"coverage_year": "2023"}, follow=True).content.decode()
    again = client.post(url, {"coverage_year": "2023"}, follow=True).content.decode()
    assert "2023年度缴费单已存在，未重复生成" in again and "已生成2023年度缴费单" not in again
    assert ContributionBill.objects.filter(person_id=enrollment.person_id).count() == 1


def test_aid_application_form_offers_the_latest_aid_policy_year(client_for, clerk_yuzhong):
    """assistance sits below contributions, so its forms follow the aid policy's own years (2023 from
    the seeds, loaded by migration), not the calendar year, which has none."""
    assert not AidPolicy.objects.filter(year=timezone.localdate().year).exists()
    latest = AidPolicy.objects.order_by("-year").values_list("year", flat=True).first()
    assert latest == 2023
    assert ApplicationSubmitForm().fields["year"].initial() == 2023
    html = client_for(clerk_yuzhong).get("/assistance/applications/new/").content.decode()
    assert re.search(r'name="year" value="2023"', html)
    AidPolicy.objects.filter(year=2023).update(year=timezone.localdate().year)
    assert ApplicationSubmitForm().fields["year"].initial() == timezone.localdate().year
