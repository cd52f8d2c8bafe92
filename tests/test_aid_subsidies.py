"""Medical aid across the product: contribution subsidies in bills, and the third tier of settlement."""

import datetime as dt
import importlib
from decimal import Decimal as D

import pytest
from django.apps import apps

from assistance.models import AidRecipient
from benefits.services import settlement_create
from contributions.collection import contribution_bills_issue
from contributions.models import ContributionBill
from contributions.services import contribution_bill_issue
from tests.benefits_support import employee
from tests.factories import ResidentEnrollmentFactory
from tests.test_settlements import claim, paid_resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def aid_policy_2023(db):
    importlib.import_module("assistance.migrations.0003_seed_aid_policy_2023").seed(apps, None)


def recipient(person, category, start=dt.date(2022, 6, 1), end=None):
    return AidRecipient.objects.create(
        person=person, category=category, valid_from=start, valid_to=end, source="civil_affairs",
        district_id=person.district_id,
    )  # fmt: skip


def test_bills_carry_the_most_generous_subsidy_of_the_year(standards_2023, aid_policy_2023, districts):
    destitute, subsistence, both, lapsed, nobody = (ResidentEnrollmentFactory(tier=1) for _ in range(5))
    recipient(destitute.person, "destitute")
    recipient(subsistence.person, "subsistence")
    recipient(both.person, "lifted_poor")
    recipient(both.person, "subsistence", start=dt.date(2023, 11, 1))
    recipient(lapsed.person, "destitute", end=dt.date(2022, 12, 31))  # no longer a recipient in 2023
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 5}
    bills = {b.person_id: b for b in ContributionBill.objects.all()}
    assert (bills[destitute.person_id].subsidy_amount, bills[destitute.person_id].status) == (D("350.00"), "paid")
    assert (bills[subsistence.person_id].subsidy_amount, bills[subsistence.person_id].status) == (D("280.00"), "unpaid")
    assert bills[both.person_id].subsidy_amount == D("280.00")
    assert bills[lapsed.person_id].subsidy_amount == D("0.00")
    assert bills[nobody.person_id].subsidy_amount == D("0.00")
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 0}


def test_one_bill_gets_the_same_subsidy(standards_2023, aid_policy_2023, districts):
    enrollment = ResidentEnrollmentFactory(tier=2)
    recipient(enrollment.person, "monitored")
    bill = contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    assert (bill.due_amount, bill.subsidy_amount, bill.outstanding) == (D("725.00"), D("362.50"), D("362.50"))


def test_employees_get_no_contribution_subsidy(standards_2023, aid_policy_2023, districts):
    person = employee()
    recipient(person, "destitute")
    contribution_bills_issue(actor=None, coverage_year=2023)
    assert ContributionBill.objects.get(person=person).subsidy_amount == D("0.00")


def test_settlement_third_tier_and_tilt_for_a_destitute_resident(
    policy_2023, aid_policy_2023, hospital_yz, institution_user
):
    person = paid_resident()
    recipient(person, "destitute")
    request = claim(person, total_cost=D("60000.00"), eligible_cost=D("50000.00"))
    s, _ = settlement_create(actor=institution_user, institution=hospital_yz, request=request)
    # level-2 resident inpatient: (50000 - 500) x 70% = 34650.00 pooled; 15350.00 left.
    # Tilt: critical deductible 16901 x 0.5 = 8450.50; (15350 - 8450.50) x (60% + 5%) = 4484.68 (to the fen).
    # Aid: (15350 - 4484.68) x 90% = 9778.79; then out of pocket = 60000 - the three.
    assert (s.pooled_paid, s.critical_paid, s.aid_paid) == (D("34650.00"), D("4484.68"), D("9778.79"))
    assert s.out_of_pocket == D("60000.00") - D("34650.00") - D("4484.68") - D("9778.79")
    assert s.aid_recipient is True


def test_monitored_gets_aid_above_its_deductible_but_no_tilt(
    policy_2023, aid_policy_2023, hospital_yz, institution_user
):
    person = paid_resident()
    recipient(person, "monitored")
    request = claim(person, total_cost=D("20000.00"), eligible_cost=D("20000.00"))
    s, _ = settlement_create(actor=institution_user, institution=hospital_yz, request=request)
    # pooled (20000 - 500) x 70% = 13650.00; left 6350.00 < 16901: no critical illness (no tilt);
    # aid (6350.00 - 1000 deductible) x 60% = 3210.00
    assert (s.pooled_paid, s.critical_paid, s.aid_paid) == (D("13650.00"), D("0.00"), D("3210.00"))


def test_no_aid_for_someone_not_a_recipient_on_the_day(policy_2023, aid_policy_2023, hospital_yz, institution_user):
    person = paid_resident()
    recipient(person, "destitute", start=dt.date(2023, 6, 1))
    s, _ = settlement_create(actor=institution_user, institution=hospital_yz, request=claim(person))  # 2023-03-01
    assert (s.aid_paid, s.aid_recipient) == (D("0.00"), False)


def test_high_cost_alerts_once_per_person_year_kept_current(
    policy_2023,
    aid_policy_2023,
    hospital_yz,
    institution_user,
    settings,
    municipal_admin,
    django_capture_on_commit_callbacks,
):
    from django.core.management import call_command

    from assistance.alerts import high_cost_alerts_scan
    from assistance.models import HighCostAlert
    from core.models import AuditEvent, JobRun

    settings.YIBAO_HIGH_COST_THRESHOLD = "4000.00"
    heavy, light, aided = paid_resident(), paid_resident(), paid_resident()
    recipient(aided, "monitored")
    for n, person in enumerate((heavy, light, aided)):
        total = D("200.00") if person is light else D("30000.00")
        request = claim(person, f"HC{n}", total_cost=total, eligible_cost=total)
        settlement_create(actor=institution_user, institution=hospital_yz, request=request)
    assert high_cost_alerts_scan(actor=municipal_admin, year=2023) == {"written": 2}
    alerts = {a.person_id: a for a in HighCostAlert.objects.all()}
    assert set(alerts) == {heavy.pk, aided.pk}
    assert alerts[heavy.pk].out_of_pocket == D("9350.00")  # 30000 - (30000 - 500) x 70%
    assert alerts[aided.pk].out_of_pocket == D("4340.00")  # 9350 left, aid (9350 - 1000) x 60% = 5010
    assert (alerts[heavy.pk].aid_recipient, alerts[aided.pk].aid_recipient) == (False, True)
    assert high_cost_alerts_scan(actor=None, year=2023) == {"written": 0}  # nothing new
    request = claim(heavy, "HC9", service_date=dt.date(2023, 5, 1), discharge_date=dt.date(2023, 5, 2),
                    total_cost=D("1000.00"), eligible_cost=D("1000.00"))  # fmt: skip
    settlement_create(actor=institution_user, institution=hospital_yz, request=request)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("high_cost_alerts", "--year", "2023")
    assert HighCostAlert.objects.get(person=heavy).out_of_pocket == D("10000.00")  # + 500 deductible + 150
    assert HighCostAlert.objects.count() == 2
    assert JobRun.objects.get(kind="high_cost_alerts").counts == {"written": 1}
    assert AuditEvent.objects.filter(object_type="assistance.highcostalert", action="job").count() == 3


def test_district_staff_scan_only_their_district(policy_2023, reviewer_jiangbei, districts):
    from django.core.exceptions import PermissionDenied, ValidationError

    from assistance.alerts import high_cost_alerts_scan

    with pytest.raises((PermissionDenied, ValidationError)):
        high_cost_alerts_scan(actor=reviewer_jiangbei, year=2023, district_id=districts["500103"].pk)
    with pytest.raises(PermissionDenied):
        high_cost_alerts_scan(actor=reviewer_jiangbei, year=2023)


def test_municipal_admin_edits_aid_policy_audited(aid_policy_2023, municipal_admin, client_for):
    from assistance.models import AidPolicy
    from core.models import AuditEvent

    policy = AidPolicy.objects.get(year=2023, category="monitored")
    client = client_for(municipal_admin)
    for page in ("aidpolicy", "aidrecipient", "aidapplication", "highcostalert"):
        assert client.get(f"/admin/assistance/{page}/").status_code == 200
    form = {
        "year": 2023, "category": "monitored", "subsidy_ratio": "0.6000", "subsidy_amount": "0.00", "tilt": "",
        "aid_ratio": "0.6000", "aid_deductible": "1000.00", "aid_annual_limit": "40000.00", "source": "测试",
    }  # fmt: skip
    response = client.post(f"/admin/assistance/aidpolicy/{policy.pk}/change/", form)
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.subsidy_ratio == D("0.6000")
    event = AuditEvent.objects.get(object_type="assistance.aidpolicy", object_id=str(policy.pk))
    assert event.old_values["subsidy_ratio"] == "0.5000" and event.new_values["subsidy_ratio"] == "0.6000"
