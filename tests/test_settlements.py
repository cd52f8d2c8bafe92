"""Settlement through the service: three tiers, accumulators, idempotency, reversal, entitlement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from benefits.models import AnnualAccumulator, Settlement
from benefits.services import SettlementConflict, SettlementRequest, settlement_create, settlement_reverse
from core.models import AuditEvent
from tests.benefits_support import resident
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
D = Decimal


paid_resident = resident  # a resident who paid for the year (tests/benefits_support.py)


def claim(person, number="S1", **kw):
    values = {
        "settlement_number": number, "id_number": person.id_number, "benefit_type": "inpatient",
        "service_date": dt.date(2023, 3, 1), "discharge_date": dt.date(2023, 3, 10),
        "total_cost": D("12000.00"), "eligible_cost": D("10000.00"),
    }  # fmt: skip
    values.update(kw)
    return SettlementRequest(**values)


def test_inpatient_settlement_splits_to_the_fen_and_carries_the_year(policy_2023, hospital_yz, institution_user):
    person = paid_resident()
    s, created = settlement_create(actor=institution_user, institution=hospital_yz, request=claim(person))
    assert created
    # level-2 resident inpatient: deductible 500 per admission, 70 %
    assert (s.pooled_paid, s.critical_paid, s.aid_paid, s.account_paid) == (
        D("6650.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    assert s.out_of_pocket == D("5350.00")
    acc = AnnualAccumulator.objects.get(person=person, year=2023)
    assert (acc.pooled_inpatient, acc.critical_base, acc.settlement_count) == (D("6650.00"), D("3350.00"), 1)
    assert AuditEvent.objects.filter(object_type="benefits.settlement", object_id=str(s.pk), action="create").exists()


def test_same_number_same_request_is_a_replay_and_different_request_a_conflict(
    policy_2023, hospital_yz, institution_user
):
    person = paid_resident()
    first, _ = settlement_create(actor=institution_user, institution=hospital_yz, request=claim(person))
    again, created = settlement_create(actor=institution_user, institution=hospital_yz, request=claim(person))
    assert (again.pk, created) == (first.pk, False)
    with pytest.raises(SettlementConflict):
        settlement_create(
            actor=institution_user, institution=hospital_yz, request=claim(person, total_cost=D("13000.00"))
        )
    assert Settlement.objects.count() == 1
    assert AnnualAccumulator.objects.get(person=person).settlement_count == 1


def test_reversal_restores_the_accumulator_exactly(policy_2023, hospital_yz, institution_user):
    person = paid_resident()
    settlement_create(actor=institution_user, institution=hospital_yz, request=claim(person, "A"))
    before = AnnualAccumulator.objects.values().get(person=person)
    s, _ = settlement_create(
        actor=institution_user,
        institution=hospital_yz,
        request=claim(person, "B", service_date=dt.date(2023, 4, 1), discharge_date=dt.date(2023, 4, 3)),
    )
    reversed_, changed = settlement_reverse(actor=institution_user, settlement=s, reason="重复上传")
    assert changed and reversed_.status == "reversed"
    after = AnnualAccumulator.objects.values().get(person=person)
    before.pop("updated_at"), after.pop("updated_at")
    assert after == before
    assert settlement_reverse(actor=institution_user, settlement=s, reason="again")[1] is False


def test_unpaid_resident_and_other_institution_are_refused(policy_2023, hospital_yz, institution_user, pharmacy_yz):
    person = paid_resident(year=2022)  # paid for 2022 only
    with pytest.raises(ValidationError) as err:
        settlement_create(actor=institution_user, institution=hospital_yz, request=claim(person))
    assert "未缴费" in str(err.value)
    with pytest.raises(PermissionDenied):
        settlement_create(
            actor=institution_user, institution=pharmacy_yz, request=claim(person, benefit_type="pharmacy")
        )
    assert not Settlement.objects.exists() and not AnnualAccumulator.objects.exists()


@pytest.mark.parametrize(
    ("graduation_year", "day", "ok"),
    [(None, dt.date(2023, 8, 31), True), (None, dt.date(2023, 9, 5), False), (2023, dt.date(2023, 12, 20), True)],
)
def test_student_benefit_period(policy_2023, hospital_yz, institution_user, graduation_year, day, ok):
    person = paid_resident(category="student", graduation_year=graduation_year)  # paid for 2022-09 .. 2023-08
    request = claim(person, service_date=day, discharge_date=day)
    if ok:
        assert settlement_create(actor=institution_user, institution=hospital_yz, request=request)[1]
    else:
        with pytest.raises(ValidationError):
            settlement_create(actor=institution_user, institution=hospital_yz, request=request)


def test_graduation_year_is_for_students_only_and_audited(districts, clerk_yuzhong):
    from enrollment.services import enrollment_register

    adult, student = PersonFactory(), PersonFactory()
    common = {"actor": clerk_yuzhong, "scheme": "resident", "tier": 1, "district_id": districts["500103"].pk,
              "start_date": dt.date(2022, 9, 1), "graduation_year": 2023}  # fmt: skip
    with pytest.raises(ValidationError) as err:
        enrollment_register(person=adult, category="adult", **common)
    assert "毕业年份" in str(err.value)
    assert not adult.enrollments.exists()
    enrollment = enrollment_register(person=student, category="student", **common)
    assert enrollment.graduation_year == 2023
    event = AuditEvent.objects.get(object_type="enrollment.enrollment", object_id=str(enrollment.pk))
    assert event.new_values["graduation_year"] == 2023


def test_admin_lists_benefit_records_read_only(policy_2023, hospital_yz, institution_user, municipal_admin, client_for):
    settlement_create(actor=institution_user, institution=hospital_yz, request=claim(paid_resident()))
    client = client_for(municipal_admin)
    for page in ("settlement", "institution", "chronicdisease", "accountcreditrule"):
        assert client.get(f"/admin/benefits/{page}/").status_code == 200
    settlement = Settlement.objects.get()
    assert client.get(f"/admin/benefits/settlement/{settlement.pk}/change/").status_code == 200
    response = client.post(f"/admin/benefits/settlement/{settlement.pk}/change/", {"total_cost": "1.00"})
    assert response.status_code == 403
    settlement.refresh_from_db()
    assert settlement.total_cost == D("12000.00")


def test_account_credit_needs_the_enrollment_to_have_begun_by_month_end(policy_2023, districts):
    from benefits.models import AccountEntry
    from benefits.services import account_credits_post
    from enrollment.models import Enrollment

    early, late = PersonFactory(), PersonFactory()
    for person, start in ((early, dt.date(2023, 1, 31)), (late, dt.date(2023, 2, 1))):
        Enrollment.objects.create(person=person, scheme="employee", category="retired", district_id=person.district_id,
                                  contribution_base=D("5000.00"), start_date=start)  # fmt: skip
    assert account_credits_post(actor=None, year=2023, month=1) == {"credited": 1}
    assert list(AccountEntry.objects.values_list("account__person", "amount")) == [(early.pk, D("70.00"))]
    assert account_credits_post(actor=None, year=2023, month=2) == {"credited": 2}


def test_diagnosis_code_is_optional_but_checked(policy_2023, hospital_yz, institution_user):
    person = paid_resident()
    with pytest.raises(ValidationError) as err:
        settlement_create(actor=institution_user, institution=hospital_yz, request=claim(person, diagnosis_code="感冒"))
    assert "ICD-10" in str(err.value) and not Settlement.objects.exists()
    s, _ = settlement_create(
        actor=institution_user, institution=hospital_yz, request=claim(person, diagnosis_code="j18.9")
    )
    assert s.diagnosis_code == "J18.9"
