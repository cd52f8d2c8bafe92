"""Enrollment services: people, enrollments, transfers, bills and payments, straight through the service layer.

Every rule is checked by its outcome: the rows written (or not), the amounts, the audit trail,
and the exact Chinese message staff would see next to the field.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404

from contributions.collection import contribution_bills_issue
from contributions.models import ContributionBill, ContributionPayment
from contributions.services import contribution_bill_issue, payment_record
from core.models import AuditEvent
from core.roles import Role
from enrollment import selectors
from enrollment.models import Enrollment, Person, Transfer
from enrollment.services import (
    enrollment_register,
    enrollment_terminate,
    enrollment_transfer,
    person_register,
    person_reveal_id_number,
)
from tests.factories import EmployerFactory, make_id_number

pytestmark = pytest.mark.django_db

ON_SQLITE = connection.vendor == "sqlite"
START = dt.date(2023, 1, 1)
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
def clerk_jiangbei(make_user):
    return make_user("clerk_jb", Role.DISTRICT_CLERK, "500105")


@pytest.fixture
def yz(districts):
    return districts["500103"]


@pytest.fixture
def jb(districts):
    return districts["500105"]


def _person(district, *, actor=None, name="张三", birth=dt.date(1980, 5, 17)) -> Person:
    return person_register(
        actor=actor, id_number=make_id_number(area=district.code, birth=birth), name=name, district_id=district.pk
    )


def _resident(person, *, actor=None, tier=1, category="adult", start=START) -> Enrollment:
    return enrollment_register(
        actor=actor,
        person=person,
        scheme="resident",
        category=category,
        tier=tier,
        district_id=person.district_id,
        start_date=start,
    )


def _employee(person, *, base="5000.00", category="active", actor=None) -> Enrollment:
    employer = EmployerFactory() if category == "active" else None
    return enrollment_register(
        actor=actor,
        person=person,
        scheme="employee",
        category=category,
        district_id=person.district_id,
        employer_id=employer.pk if employer else None,
        contribution_base=base,
        start_date=START,
    )


def _messages(exc_info) -> dict[str, list[str]]:
    return exc_info.value.message_dict


# --- person_register -------------------------------------------------------------------------------------------


def test_person_register_normalizes_full_width_and_lower_case_x(yz, clerk_yuzhong):
    # Given an ID whose check character is X, typed with full-width digits, a lower-case x and stray spaces
    number = make_id_number(area="500103", birth=dt.date(1980, 5, 17), seq=5)
    assert number == "50010319800517005X"
    typed = " " + number[:17].translate(FULL_WIDTH_DIGITS) + "x\u3000"

    # when the 渝中区 clerk registers it
    person = person_register(actor=clerk_yuzhong, id_number=typed, name=" 李四 ", district_id=yz.pk, phone="")

    # then the stored number is plain ASCII with an upper-case X, and gender and birth come from it
    person.refresh_from_db()
    assert person.id_number == "50010319800517005X"
    assert person.name == "李四"
    assert person.birth_date == dt.date(1980, 5, 17)
    assert person.gender == "M"  # 17th character '5' is odd
    assert person.district_id == yz.pk


def test_person_register_derives_gender_from_17th_digit(yz):
    male = person_register(actor=None, id_number=make_id_number(seq=123), name="男", district_id=yz.pk)
    female = person_register(actor=None, id_number=make_id_number(seq=124), name="女", district_id=yz.pk)
    assert (male.id_number[16], male.gender) == ("3", "M")
    assert (female.id_number[16], female.gender) == ("4", "F")
    assert male.birth_date == female.birth_date == dt.date(1980, 5, 17)


def test_person_register_refuses_15_digit_id_and_writes_nothing(yz, clerk_yuzhong):
    events_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        person_register(actor=clerk_yuzhong, id_number="500103800517123", name="王五", district_id=yz.pk)
    [message] = _messages(exc_info)["id_number"]
    assert "15位" in message
    assert Person.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_person_register_refuses_duplicate_id_even_typed_differently(yz):
    number = make_id_number(seq=5)  # ends in X
    person_register(actor=None, id_number=number, name="甲", district_id=yz.pk)
    with pytest.raises(ValidationError) as exc_info:
        person_register(actor=None, id_number=number.lower(), name="乙", district_id=yz.pk)
    assert _messages(exc_info) == {"id_number": ["该身份证号已登记"]}
    assert list(Person.objects.values_list("name", flat=True)) == ["甲"]


def test_clerk_of_jiangbei_cannot_register_in_yuzhong(yz, clerk_jiangbei):
    events_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        person_register(actor=clerk_jiangbei, id_number=make_id_number(), name="赵六", district_id=yz.pk)
    assert _messages(exc_info) == {"district": ["只能在本人所属区县办理该业务"]}
    assert Person.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_person_register_writes_create_event_with_actor(yz, clerk_yuzhong):
    person = _person(yz, actor=clerk_yuzhong)
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, object_type="enrollment.person", object_id=str(person.pk)
    )
    assert event.actor_id == clerk_yuzhong.pk
    assert event.actor_username == "clerk_yz"
    assert event.district_id == yz.pk
    assert event.new_values["name"] == "张三"
    # the readable label of the event never carries the full number
    assert person.id_number not in event.object_repr
    assert person.masked_id_number in event.object_repr


# --- enrollment_register ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", [None, "", 0, 3, "三"])
def test_resident_needs_tier_1_or_2(yz, tier):
    person = _person(yz)
    with pytest.raises(ValidationError) as exc_info:
        _resident(person, tier=tier)
    assert _messages(exc_info) == {"tier": ["居民医保须选择一档或二档"]}
    assert Enrollment.objects.count() == 0


def test_resident_tier_given_as_text_is_accepted(yz):
    enrollment = _resident(_person(yz), tier="2")
    enrollment.refresh_from_db()
    assert enrollment.tier == 2


def test_active_employee_needs_employer(yz):
    person = _person(yz)
    with pytest.raises(ValidationError) as exc_info:
        enrollment_register(
            actor=None,
            person=person,
            scheme="employee",
            category="active",
            district_id=yz.pk,
            contribution_base="5000",
            start_date=START,
        )
    assert _messages(exc_info) == {"employer": ["在职职工须登记参保单位"]}
    assert Enrollment.objects.count() == 0


@pytest.mark.parametrize("base", [None, "", "0", "-100", "abc", "0.004"])
def test_employee_needs_positive_contribution_base(yz, base):
    person = _person(yz)
    with pytest.raises(ValidationError) as exc_info:
        _employee(person, base=base)
    assert _messages(exc_info) == {"contribution_base": ["职工医保须填写大于0的缴费基数"]}
    assert Enrollment.objects.count() == 0


def test_employee_contribution_base_is_rounded_half_up_to_the_fen(yz):
    enrollment = _employee(_person(yz), base="6500.555")
    enrollment.refresh_from_db()
    assert enrollment.contribution_base == Decimal("6500.56")
    assert enrollment.tier is None
    assert enrollment.employer_id is not None


@pytest.mark.parametrize(
    ("scheme", "category", "tier"),
    [("resident", "active", 1), ("resident", "retired", 1), ("employee", "adult", None), ("employee", "student", None)],
)
def test_category_must_match_scheme(yz, scheme, category, tier):
    person = _person(yz)
    employer = EmployerFactory()
    with pytest.raises(ValidationError) as exc_info:
        enrollment_register(
            actor=None,
            person=person,
            scheme=scheme,
            category=category,
            tier=tier,
            district_id=yz.pk,
            employer_id=employer.pk if scheme == "employee" else None,
            contribution_base="5000" if scheme == "employee" else None,
            start_date=START,
        )
    assert _messages(exc_info)["category"] == ["人员类别与险种不符"]
    assert Enrollment.objects.count() == 0


def test_second_active_enrollment_is_refused(yz, clerk_yuzhong):
    person = _person(yz)
    first = _resident(person, actor=clerk_yuzhong)
    with pytest.raises(ValidationError) as exc_info:
        _employee(person, actor=clerk_yuzhong)
    [message] = _messages(exc_info)["scheme"]
    assert message.startswith("重复参保")
    assert "居民医保" in message and "2023-01-01" in message
    assert list(Enrollment.objects.values_list("pk", flat=True)) == [first.pk]


def test_database_refuses_second_active_enrollment_even_through_the_orm(yz):
    person = _person(yz)
    _resident(person)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(
            person=person, scheme="resident", category="adult", tier=2, district=yz, start_date=dt.date(2023, 3, 1)
        )
    assert Enrollment.objects.filter(person=person, status="active").count() == 1


def test_new_enrollment_is_allowed_once_the_old_one_is_terminated(yz):
    person = _person(yz)
    old = _resident(person)
    enrollment_terminate(actor=None, enrollment=old, end_date=dt.date(2023, 6, 30), reason="changed_scheme")
    new = _employee(person)
    assert Enrollment.objects.filter(person=person, status="active").get() == new


def test_enrollment_register_writes_create_event(yz, clerk_yuzhong):
    enrollment = _resident(_person(yz), actor=clerk_yuzhong, tier=2)
    event = AuditEvent.objects.get(object_type="enrollment.enrollment", object_id=str(enrollment.pk))
    assert event.action == AuditEvent.Action.CREATE
    assert event.actor_id == clerk_yuzhong.pk
    assert event.new_values["tier"] == 2
    assert event.new_values["start_date"] == "2023-01-01"


# --- enrollment_terminate --------------------------------------------------------------------------------------


def test_terminate_sets_status_end_date_and_audits_old_and_new(yz, clerk_yuzhong):
    enrollment = _resident(_person(yz))
    enrollment_terminate(actor=clerk_yuzhong, enrollment=enrollment, end_date=dt.date(2023, 6, 30), reason="moved_away")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.end_date, enrollment.end_reason) == (
        "terminated",
        dt.date(2023, 6, 30),
        "moved_away",
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.STATUS, object_id=str(enrollment.pk))
    assert event.actor_id == clerk_yuzhong.pk
    assert event.old_values == {"status": "active", "end_date": None, "end_reason": ""}
    assert event.new_values == {"status": "terminated", "end_date": "2023-06-30", "end_reason": "moved_away"}


def test_terminating_twice_is_refused(yz):
    enrollment = _resident(_person(yz))
    enrollment_terminate(actor=None, enrollment=enrollment, end_date=dt.date(2023, 6, 30), reason="other")
    with pytest.raises(ValidationError) as exc_info:
        enrollment_terminate(actor=None, enrollment=enrollment, end_date=dt.date(2023, 7, 31), reason="other")
    assert _messages(exc_info) == {"status": ["参保状态不能从“终止”变为“终止”"]}
    enrollment.refresh_from_db()
    assert enrollment.end_date == dt.date(2023, 6, 30)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.STATUS, object_id=str(enrollment.pk)).count() == 1


def test_terminate_before_start_is_refused_and_changes_nothing(yz):
    enrollment = _resident(_person(yz))
    with pytest.raises(ValidationError) as exc_info:
        enrollment_terminate(actor=None, enrollment=enrollment, end_date=dt.date(2022, 12, 31), reason="other")
    assert _messages(exc_info) == {"end_date": ["终止日期不能早于参保开始日期"]}
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.end_date, enrollment.end_reason) == ("active", None, "")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.STATUS).exists()


def test_terminate_needs_a_known_reason(yz):
    enrollment = _resident(_person(yz))
    with pytest.raises(ValidationError) as exc_info:
        enrollment_terminate(actor=None, enrollment=enrollment, end_date=dt.date(2023, 6, 30), reason="bored")
    assert _messages(exc_info) == {"reason": ["请选择终止原因"]}


def test_jiangbei_clerk_cannot_terminate_yuzhong_enrollment(yz, clerk_jiangbei):
    enrollment = _resident(_person(yz))
    with pytest.raises(ValidationError) as exc_info:
        enrollment_terminate(actor=clerk_jiangbei, enrollment=enrollment, end_date=dt.date(2023, 6, 30), reason="other")
    assert _messages(exc_info) == {"district": ["只能在本人所属区县办理该业务"]}
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


def test_auditor_cannot_terminate(yz, auditor):
    enrollment = _resident(_person(yz))
    with pytest.raises(PermissionDenied):
        enrollment_terminate(actor=auditor, enrollment=enrollment, end_date=dt.date(2023, 6, 30), reason="other")
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


# --- enrollment_transfer ---------------------------------------------------------------------------------------


def test_transfer_has_no_gap_and_no_overlap(yz, jb, clerk_yuzhong):
    person = _person(yz)
    old = _resident(person, tier=2)
    transfer_date = dt.date(2023, 7, 1)

    transfer = enrollment_transfer(
        actor=clerk_yuzhong, enrollment=old, to_district_id=jb.pk, transfer_date=transfer_date
    )

    old.refresh_from_db()
    new = transfer.to_enrollment
    new.refresh_from_db()
    person.refresh_from_db()
    assert (old.status, old.end_date, old.end_reason) == ("terminated", dt.date(2023, 6, 30), "transferred")
    assert new.start_date - old.end_date == dt.timedelta(days=1)
    assert (new.status, new.district_id, new.start_date, new.end_date) == ("active", jb.pk, transfer_date, None)
    assert (new.scheme, new.category, new.tier) == (old.scheme, old.category, old.tier) == ("resident", "adult", 2)
    assert person.district_id == jb.pk

    row = Transfer.objects.get()
    assert (row.person_id, row.from_enrollment_id, row.to_enrollment_id) == (person.pk, old.pk, new.pk)
    assert (row.from_district_id, row.to_district_id, row.transfer_date) == (yz.pk, jb.pk, transfer_date)
    assert row.created_by_id == clerk_yuzhong.pk

    events = AuditEvent.objects.filter(actor=clerk_yuzhong)
    status_event = events.get(action=AuditEvent.Action.STATUS, object_id=str(old.pk))
    assert status_event.new_values == {"status": "terminated", "end_date": "2023-06-30", "end_reason": "transferred"}
    create_event = events.get(
        action=AuditEvent.Action.CREATE, object_type="enrollment.enrollment", object_id=str(new.pk)
    )
    assert create_event.district_id == jb.pk
    person_event = events.get(action=AuditEvent.Action.UPDATE, object_type="enrollment.person")
    assert person_event.old_values == {"district_id": yz.pk}
    assert person_event.new_values == {"district_id": jb.pk}
    assert person_event.note == f"转移接续 #{row.pk}"


def test_transfer_keeps_employee_terms(yz, jb):
    old = _employee(_person(yz), base="6500.555")
    new = enrollment_transfer(actor=None, enrollment=old, to_district_id=jb.pk, transfer_date=dt.date(2023, 3, 1))
    new = new.to_enrollment
    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.scheme, new.category, new.tier) == ("employee", "active", None)
    assert new.employer_id == old.employer_id
    assert new.contribution_base == Decimal("6500.56")


def test_transfer_to_same_district_is_refused(yz, clerk_yuzhong):
    person = _person(yz)
    enrollment = _resident(person)
    with pytest.raises(ValidationError) as exc_info:
        enrollment_transfer(
            actor=clerk_yuzhong, enrollment=enrollment, to_district_id=yz.pk, transfer_date=dt.date(2023, 7, 1)
        )
    assert _messages(exc_info) == {"to_district": ["转入区县与当前区县相同"]}
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.end_date) == ("active", None)
    assert Enrollment.objects.count() == 1
    assert Transfer.objects.count() == 0


def test_transfer_on_or_before_start_is_refused(yz, jb):
    enrollment = _resident(_person(yz))
    with pytest.raises(ValidationError) as exc_info:
        enrollment_transfer(actor=None, enrollment=enrollment, to_district_id=jb.pk, transfer_date=START)
    assert _messages(exc_info) == {"transfer_date": ["转入日期须晚于原参保开始日期"]}
    assert Transfer.objects.count() == 0


def test_terminated_enrollment_cannot_be_transferred(yz, jb):
    enrollment = _resident(_person(yz))
    enrollment_terminate(actor=None, enrollment=enrollment, end_date=dt.date(2023, 6, 30), reason="other")
    with pytest.raises(ValidationError) as exc_info:
        enrollment_transfer(actor=None, enrollment=enrollment, to_district_id=jb.pk, transfer_date=dt.date(2023, 8, 1))
    assert _messages(exc_info) == {"status": ["只能转移有效的参保登记"]}
    assert Enrollment.objects.count() == 1


def test_after_transfer_person_belongs_to_target_district(yz, jb, clerk_yuzhong, clerk_jiangbei):
    person = _person(yz, actor=clerk_yuzhong)
    enrollment = _resident(person, actor=clerk_yuzhong)
    assert selectors.get_person_for_user_or_404(fetched_by=clerk_yuzhong, person_id=person.pk) == person
    with pytest.raises(Http404):
        selectors.get_person_for_user_or_404(fetched_by=clerk_jiangbei, person_id=person.pk)

    enrollment_transfer(
        actor=clerk_yuzhong, enrollment=enrollment, to_district_id=jb.pk, transfer_date=dt.date(2023, 7, 1)
    )

    with pytest.raises(Http404):
        selectors.get_person_for_user_or_404(fetched_by=clerk_yuzhong, person_id=person.pk)
    assert selectors.get_person_for_user_or_404(fetched_by=clerk_jiangbei, person_id=person.pk).pk == person.pk
    assert list(selectors.person_list(fetched_by=clerk_yuzhong, query=person.id_number)) == []
    assert [p.pk for p in selectors.person_list(fetched_by=clerk_jiangbei, query=person.id_number)] == [person.pk]


# --- contribution_bill_issue -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "tier", "due"),
    [
        ("adult", 1, Decimal("350.00")),
        ("adult", 2, Decimal("725.00")),
        ("minor", 2, Decimal("725.00")),
        ("student", 1, Decimal("320.00")),
        ("student", 2, Decimal("695.00")),
    ],
)
def test_resident_bill_2023_uses_seeded_standard(yz, clerk_yuzhong, category, tier, due):
    enrollment = _resident(_person(yz), tier=tier, category=category)
    bill = contribution_bill_issue(actor=clerk_yuzhong, enrollment=enrollment, coverage_year=2023)
    bill.refresh_from_db()
    assert bill.due_amount == due
    assert (bill.paid_amount, bill.subsidy_amount, bill.status) == (Decimal("0.00"), Decimal("0.00"), "unpaid")
    assert (bill.person_id, bill.enrollment_id, bill.district_id) == (enrollment.person_id, enrollment.pk, yz.pk)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="contributions.contributionbill", object_id=str(bill.pk)
    ).exists()


def test_employee_bill_is_a_year_of_both_rates_on_the_base(yz):
    enrollment = _employee(_person(yz), base="5000.00")
    bill = contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    bill.refresh_from_db()
    assert bill.due_amount == Decimal("5000.00") * (Decimal("0.08") + Decimal("0.02")) * 12 == Decimal("6000.00")
    assert bill.scheme == "employee"


def test_employee_bill_rounds_to_the_fen(yz):
    # 6500.56 x 0.10 x 12 = 7800.672 -> 7800.67
    enrollment = _employee(_person(yz), base="6500.555")
    bill = contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    bill.refresh_from_db()
    assert bill.due_amount == Decimal("7800.67")


def test_retired_employee_owes_nothing_and_bill_is_paid(yz):
    enrollment = _employee(_person(yz), category="retired")
    bill = contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    bill.refresh_from_db()
    assert (bill.due_amount, bill.status) == (Decimal("0.00"), "paid")


def test_issuing_twice_returns_the_same_bill(yz):
    enrollment = _resident(_person(yz))
    first = contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    second = contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    assert second.pk == first.pk
    assert ContributionBill.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="contributions.contributionbill").count() == 1


def test_year_without_standard_is_refused(yz):
    enrollment = _resident(_person(yz))
    with pytest.raises(ValidationError) as exc_info:
        contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2031)
    [message] = _messages(exc_info)["coverage_year"]
    assert "未设置2031年度" in message
    assert ContributionBill.objects.count() == 0


def test_jiangbei_clerk_cannot_issue_yuzhong_bill(yz, clerk_jiangbei):
    enrollment = _resident(_person(yz))
    with pytest.raises(ValidationError) as exc_info:
        contribution_bill_issue(actor=clerk_jiangbei, enrollment=enrollment, coverage_year=2023)
    assert _messages(exc_info) == {"district": ["只能在本人所属区县办理该业务"]}
    assert ContributionBill.objects.count() == 0


def test_terminated_enrollment_gets_no_bill(yz):
    # Regression: the single-bill path used to bill an enrollment that ended on 2022-06-30 the full 2023 amount,
    # even through the caller's stale copy that still said 'active'.
    enrollment = _resident(_person(yz), start=dt.date(2021, 1, 1))
    enrollment_terminate(actor=None, enrollment=enrollment, end_date=dt.date(2022, 6, 30), reason="moved_away")
    assert enrollment.status == "active"  # the caller's copy is stale; the service must not trust it
    with pytest.raises(ValidationError) as exc_info:
        contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    assert _messages(exc_info) == {"coverage_year": ["该参保登记已终止或暂停，不能生成缴费单"]}
    assert ContributionBill.objects.count() == 0


def test_enrollment_starting_after_the_year_gets_no_bill(yz):
    enrollment = _resident(_person(yz), start=dt.date(2024, 1, 1))
    with pytest.raises(ValidationError) as exc_info:
        contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    assert _messages(exc_info) == {"coverage_year": ["参保开始日期晚于2023年度"]}
    assert ContributionBill.objects.count() == 0


def test_bill_already_issued_is_returned_even_after_the_enrollment_ended(yz):
    enrollment = _resident(_person(yz))
    bill = contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)
    enrollment_terminate(actor=None, enrollment=enrollment, end_date=dt.date(2023, 6, 30), reason="moved_away")
    assert contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023).pk == bill.pk


# --- contribution_bills_issue (runs on SQLite and on PostgreSQL, whichever the suite is on) --------------------


def test_bulk_issue_bills_every_active_enrollment_once(yz, jb):
    # Given five active enrollments in two districts and one terminated enrollment
    expected = {}
    for category, tier, due in [("adult", 1, "350.00"), ("adult", 2, "725.00"), ("student", 1, "320.00")]:
        person = _person(yz, birth=dt.date(1990, 1, 1) + dt.timedelta(days=len(expected)))
        _resident(person, tier=tier, category=category)
        expected[person.pk] = Decimal(due)
    jb_person = _person(jb, birth=dt.date(1975, 3, 3))
    _resident(jb_person, tier=2, category="minor")
    expected[jb_person.pk] = Decimal("725.00")
    employee = _person(yz, birth=dt.date(1970, 8, 8))
    _employee(employee, base="5000.00")
    expected[employee.pk] = Decimal("6000.00")
    gone = _person(yz, birth=dt.date(1960, 2, 2))
    enrollment_terminate(
        actor=None, enrollment=_resident(gone), end_date=dt.date(2023, 3, 31), reason=Enrollment.EndReason.DECEASED,
        death_date=dt.date(2023, 3, 31), death_source_document="死亡医学证明",
    )  # fmt: skip

    # when the system issues the 2023 bills
    result = contribution_bills_issue(actor=None, coverage_year=2023)

    # then one bill per active enrollment, with the right amount, district and enrollment
    assert result == {"created": 5}
    bills = {b.person_id: b for b in ContributionBill.objects.filter(coverage_year=2023)}
    assert {pk: b.due_amount for pk, b in bills.items()} == expected
    assert gone.pk not in bills
    assert bills[jb_person.pk].district_id == jb.pk
    assert {b.status for b in bills.values()} == {"unpaid"}
    assert {b.paid_amount for b in bills.values()} == {Decimal("0.00")}
    for bill in bills.values():
        assert bill.enrollment.status == "active"
        assert bill.enrollment.person_id == bill.person_id
    job = AuditEvent.objects.get(action=AuditEvent.Action.JOB, object_type="contributions.contributionbill")
    assert job.new_values == {"coverage_year": 2023, "created": 5}

    # and running it again adds nothing
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 0}
    assert ContributionBill.objects.count() == 5


def test_bulk_issue_keeps_bills_issued_one_by_one(yz):
    issued = _resident(_person(yz, birth=dt.date(1990, 1, 1)))
    single = contribution_bill_issue(actor=None, enrollment=issued, coverage_year=2023)
    _resident(_person(yz, birth=dt.date(1991, 1, 1)), tier=2)
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 1}
    assert ContributionBill.objects.count() == 2
    single.refresh_from_db()
    assert single.due_amount == Decimal("350.00")


def test_bulk_issue_of_one_district_leaves_the_others(yz, jb, clerk_yuzhong):
    _resident(_person(yz, birth=dt.date(1990, 1, 1)))
    jb_person = _person(jb, birth=dt.date(1991, 1, 1))
    _resident(jb_person)
    assert contribution_bills_issue(actor=clerk_yuzhong, coverage_year=2023, district_id=yz.pk) == {"created": 1}
    assert not ContributionBill.objects.filter(person=jb_person).exists()
    # a district clerk may not run the whole city
    with pytest.raises(PermissionDenied):
        contribution_bills_issue(actor=clerk_yuzhong, coverage_year=2023)
    assert ContributionBill.objects.count() == 1


def test_bulk_issue_for_year_without_standard_creates_nothing(yz):
    _resident(_person(yz))
    assert contribution_bills_issue(actor=None, coverage_year=2031) == {"created": 0}
    assert ContributionBill.objects.count() == 0


def test_bulk_issue_does_not_count_a_bill_that_already_exists_on_an_older_enrollment(yz, jb):
    # Regression (SQLite path): existing bills were looked up by enrollment id, so this one was counted as created.
    # Given a 2023 bill issued on the 渝中区 enrollment, and then a transfer to 江北区
    person = _person(yz)
    old = _resident(person)
    contribution_bill_issue(actor=None, enrollment=old, coverage_year=2023)
    enrollment_transfer(actor=None, enrollment=old, to_district_id=jb.pk, transfer_date=dt.date(2023, 7, 1))

    # when the 2023 bills are issued for the city
    result = contribution_bills_issue(actor=None, coverage_year=2023)

    # then the person still has exactly one bill, and the job reports that it created none
    assert ContributionBill.objects.filter(person=person, coverage_year=2023).count() == 1
    assert result == {"created": 0}


# --- payment_record --------------------------------------------------------------------------------------------


@pytest.fixture
def bill(yz):
    enrollment = _resident(_person(yz))
    return contribution_bill_issue(actor=None, enrollment=enrollment, coverage_year=2023)


def _pay(bill, amount, reference, *, actor=None, channel="counter"):
    return payment_record(
        actor=actor, bill=bill, amount=amount, paid_on=dt.date(2023, 2, 1), reference=reference, channel=channel
    )


def test_payments_move_bill_from_partial_to_paid(bill, clerk_yuzhong):
    payment, created = _pay(bill, "100", "R1", actor=clerk_yuzhong)
    assert created is True
    bill.refresh_from_db()
    assert (bill.paid_amount, bill.status, bill.outstanding) == (Decimal("100.00"), "partial", Decimal("250.00"))
    assert (payment.amount, payment.recorded_by_id, payment.bill_id) == (Decimal("100.00"), clerk_yuzhong.pk, bill.pk)

    _, created = _pay(bill, Decimal("250.00"), "R2", actor=clerk_yuzhong)
    assert created is True
    bill.refresh_from_db()
    assert (bill.paid_amount, bill.status, bill.outstanding) == (Decimal("350.00"), "paid", Decimal("0.00"))

    update = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, object_type="contributions.contributionbill", object_id=str(bill.pk)
    ).order_by("id")
    assert [e.new_values for e in update] == [
        {"paid_amount": "100.00", "status": "partial"},
        {"paid_amount": "350.00", "status": "paid"},
    ]
    assert AuditEvent.objects.filter(action="create", object_type="contributions.contributionpayment").count() == 2


def test_replayed_reference_with_same_amount_changes_nothing(bill):
    first, _ = _pay(bill, "100.00", "R1")
    events_before = AuditEvent.objects.count()

    again, created = _pay(bill, "100", " R1 ")

    assert (again.pk, created) == (first.pk, False)
    bill.refresh_from_db()
    assert (bill.paid_amount, bill.status) == (Decimal("100.00"), "partial")
    assert ContributionPayment.objects.count() == 1
    assert AuditEvent.objects.count() == events_before


def test_replay_of_the_final_payment_is_still_recognised(bill):
    first, _ = _pay(bill, "350.00", "R1")
    again, created = _pay(bill, "350.00", "R1")
    assert (again.pk, created) == (first.pk, False)


def test_same_reference_with_other_amount_is_refused(bill):
    _pay(bill, "100.00", "R1")
    with pytest.raises(ValidationError) as exc_info:
        _pay(bill, "50.00", "R1")
    assert _messages(exc_info) == {"reference": ["该缴费流水号已记录为另一笔缴费"]}
    bill.refresh_from_db()
    assert bill.paid_amount == Decimal("100.00")
    assert ContributionPayment.objects.count() == 1


def test_payment_over_outstanding_is_refused(bill):
    _pay(bill, "100.00", "R1")
    with pytest.raises(ValidationError) as exc_info:
        _pay(bill, "250.01", "R2")
    [message] = _messages(exc_info)["amount"]
    assert "超过未缴金额" in message
    assert "250.00" in message
    bill.refresh_from_db()
    assert bill.paid_amount == Decimal("100.00")
    assert not ContributionPayment.objects.filter(reference="R2").exists()


@pytest.mark.parametrize(
    ("amount", "message"), [("0", "缴费金额须大于0"), ("-5", "缴费金额须大于0"), ("1e", "缴费金额应为数字")]
)
def test_payment_amount_must_be_a_positive_number(bill, amount, message):
    with pytest.raises(ValidationError) as exc_info:
        _pay(bill, amount, "R1")
    [got] = _messages(exc_info)["amount"]
    assert got.startswith(message)
    assert ContributionPayment.objects.count() == 0


def test_payment_needs_reference_and_known_channel(bill):
    with pytest.raises(ValidationError) as exc_info:
        _pay(bill, "10", "   ")
    assert _messages(exc_info) == {"reference": ["缴费流水号不能为空"]}
    with pytest.raises(ValidationError) as exc_info:
        _pay(bill, "10", "R1", channel="cash")
    # The refusal names what is accepted (银行代扣 used to be refused without saying so).
    assert _messages(exc_info) == {"channel": ["缴费渠道无效，可选：窗口、接口、文件导入、税务代征"]}
    assert ContributionPayment.objects.count() == 0


def test_database_refuses_overpaid_bill(bill):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionBill.objects.filter(pk=bill.pk).update(paid_amount=Decimal("350.01"))
    bill.refresh_from_db()
    assert bill.paid_amount == Decimal("0.00")
    # exactly the due amount is fine
    ContributionBill.objects.filter(pk=bill.pk).update(paid_amount=Decimal("350.00"))


def test_database_refuses_non_positive_payment(bill):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionPayment.objects.create(
            bill=bill, amount=Decimal("0"), paid_on=dt.date(2023, 2, 1), reference="R0", channel="counter"
        )


# --- person_reveal_id_number -----------------------------------------------------------------------------------


def test_reveal_returns_full_number_and_is_audited(yz, clerk_yuzhong):
    person = _person(yz)
    assert person_reveal_id_number(actor=clerk_yuzhong, person=person) == person.id_number
    event = AuditEvent.objects.get(action="view_sensitive")
    assert (event.actor_id, event.object_type, event.object_id) == (
        clerk_yuzhong.pk,
        "enrollment.person",
        str(person.pk),
    )
    assert event.district_id == yz.pk
    assert person.id_number not in event.object_repr


def test_auditor_may_not_reveal(yz, auditor):
    person = _person(yz)
    with pytest.raises(PermissionDenied):
        person_reveal_id_number(actor=auditor, person=person)
    assert not AuditEvent.objects.filter(action="view_sensitive").exists()


@pytest.mark.skipif(ON_SQLITE, reason="needs row locks and concurrent sessions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retry_of_the_same_reference_is_a_replay(districts):
    """Regression: the reference was checked before the bill lock was taken, so a retry arriving while the first
    call was still committing waited on the lock, then INSERTed the same reference: IntegrityError, a 500."""
    import threading
    import time

    from django.db import connections

    enrollment = _resident(_person(districts["500103"]))
    # built directly: a transactional test cannot count on the migration-seeded standards still being there
    bill = ContributionBill.objects.create(
        person_id=enrollment.person_id,
        enrollment=enrollment,
        district_id=enrollment.district_id,
        coverage_year=2023,
        scheme="resident",
        due_amount=Decimal("350.00"),
    )
    recorded, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_call():
        try:
            with transaction.atomic():
                outcome["first"] = _pay(bill, "100.00", "R-RACE")
                recorded.set()
                release.wait(10)  # the first request is still committing
        finally:
            recorded.set()
            connections.close_all()

    def retry():
        try:
            outcome["retry"] = _pay(bill, "100.00", "R-RACE")
        except Exception as exc:  # handed back to the test below
            outcome["retry_error"] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=first_call)
    first.start()
    assert recorded.wait(10)
    second = threading.Thread(target=retry)
    second.start()
    # wait until the retry is blocked on the bill's row lock, then let the first call commit
    with connections["default"].cursor() as cursor:
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the retry never waited for the bill lock")
    release.set()
    first.join(10)
    second.join(10)

    if "retry_error" in outcome:
        raise outcome["retry_error"]
    assert not first.is_alive() and not second.is_alive()
    assert outcome["first"][1] is True
    payment, created = outcome["retry"]
    assert (payment.pk, created) == (outcome["first"][0].pk, False)
    assert ContributionPayment.objects.filter(reference="R-RACE").count() == 1
    bill.refresh_from_db()
    assert (bill.paid_amount, bill.status) == (Decimal("100.00"), "partial")
