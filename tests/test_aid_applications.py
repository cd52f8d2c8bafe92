"""Aid applications (依申请救助): submit, the transition map, who may decide, reasons, amounts, audit.
Aid recipients registered by hand and alert follow-up, through the services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assistance.models import AidApplication, AidRecipient, HighCostAlert
from assistance.services import (
    aid_application_submit,
    aid_application_transition,
    aid_recipient_end,
    aid_recipient_register,
    allowed_transitions,
    high_cost_alert_handle,
)
from core.models import AuditEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
S = AidApplication.Status


@pytest.fixture
def person(districts):
    return PersonFactory(name="李四")


@pytest.fixture
def application(clerk_yuzhong, person):
    return aid_application_submit(
        actor=clerk_yuzhong, person=person, year=2023, requested_amount=Decimal("5000.00"), reason="住院自付费用过高"
    )


def events(obj) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("id"))


def test_submit_records_the_application_in_the_person_district_and_audits(clerk_yuzhong, person, application):
    assert application.status == S.SUBMITTED
    assert application.district_id == person.district_id
    assert application.submitted_by == clerk_yuzhong
    [event] = events(application)
    assert event.action == AuditEvent.Action.CREATE and event.actor == clerk_yuzhong
    assert event.new_values["requested_amount"] == "5000.00"


@pytest.mark.parametrize(
    ("amount", "reason", "field", "message"),
    [
        ("0", "事由", "requested_amount", "申请金额应大于0"),
        ("-1", "事由", "requested_amount", "申请金额应大于0"),
        ("10.001", "事由", "requested_amount", "申请金额应为金额，最多两位小数"),
        ("abc", "事由", "requested_amount", "申请金额应为金额，最多两位小数"),
        ("100", "   ", "reason", "请填写申请事由"),
    ],
)
def test_submit_refuses_bad_input_and_writes_nothing(clerk_yuzhong, person, amount, reason, field, message):
    with pytest.raises(ValidationError) as caught:
        aid_application_submit(actor=clerk_yuzhong, person=person, year=2023, requested_amount=amount, reason=reason)
    assert caught.value.message_dict == {field: [message]}
    assert AidApplication.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="assistance.aidapplication").exists()


def test_submit_in_another_district_is_refused(clerk_jiangbei, person):
    with pytest.raises(ValidationError) as caught:
        aid_application_submit(actor=clerk_jiangbei, person=person, year=2023, requested_amount="10", reason="x")
    assert "只能在本人所属区县办理该业务" in caught.value.messages[0]
    assert AidApplication.objects.count() == 0


def test_full_path_submitted_reviewed_approved_paid(clerk_yuzhong, reviewer_yuzhong, make_user, application):
    second_reviewer = make_user("reviewer2_yz", "district_reviewer", "500103")
    aid_application_transition(actor=reviewer_yuzhong, application=application, to_status=S.REVIEWED, reason="材料齐全")
    aid_application_transition(
        actor=second_reviewer, application=application, to_status=S.APPROVED, approved_amount="4000.50", reason="同意"
    )
    aid_application_transition(
        actor=clerk_yuzhong, application=application, to_status=S.PAID, paid_on=dt.date(2023, 6, 1)
    )
    application.refresh_from_db()
    assert application.status == S.PAID
    assert application.approved_amount == Decimal("4000.50")
    assert application.decided_by == second_reviewer
    assert application.decision_reason == "同意"
    assert application.paid_on == dt.date(2023, 6, 1)
    moves = [(e.old_values["status"], e.new_values["status"]) for e in events(application)[1:]]
    assert moves == [("submitted", "reviewed"), ("reviewed", "approved"), ("approved", "paid")]
    assert events(application)[2].new_values["approved_amount"] == "4000.50"
    assert events(application)[2].actor == second_reviewer


@pytest.mark.parametrize("start", [S.SUBMITTED, S.REVIEWED])
def test_reject_from_submitted_or_reviewed_needs_a_reason(reviewer_yuzhong, application, start):
    AidApplication.objects.filter(pk=application.pk).update(status=start)
    application.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        aid_application_transition(actor=reviewer_yuzhong, application=application, to_status=S.REJECTED, reason=" ")
    assert caught.value.message_dict == {"reason": ["驳回须填写理由"]}
    application.refresh_from_db()
    assert application.status == start
    aid_application_transition(
        actor=reviewer_yuzhong, application=application, to_status=S.REJECTED, reason="不符合条件"
    )
    application.refresh_from_db()
    assert (application.status, application.decision_reason) == (S.REJECTED, "不符合条件")
    assert application.decided_by == reviewer_yuzhong
    assert events(application)[-1].old_values == {"status": start}


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.SUBMITTED, S.PAID),
        (S.SUBMITTED, S.APPROVED),
        (S.REVIEWED, S.PAID),
        (S.REVIEWED, S.SUBMITTED),
        (S.APPROVED, S.REJECTED),
        (S.REJECTED, S.APPROVED),
        (S.PAID, S.SUBMITTED),
        (S.PAID, S.PAID),
    ],
)
def test_forbidden_moves_say_from_and_to(municipal_admin, application, start, to):
    AidApplication.objects.filter(pk=application.pk).update(status=start)
    application.refresh_from_db()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        aid_application_transition(
            actor=municipal_admin, application=application, to_status=to, reason="r", approved_amount="1"
        )
    assert caught.value.message_dict == {"to_status": [f"不能从「{S(start).label}」变为「{S(to).label}」"]}
    application.refresh_from_db()
    assert application.status == start
    assert AuditEvent.objects.count() == before


def test_approve_needs_an_amount_within_the_request(reviewer_yuzhong, make_user, application):
    other = make_user("reviewer2_yz", "district_reviewer", "500103")
    aid_application_transition(actor=reviewer_yuzhong, application=application, to_status=S.REVIEWED)
    for amount, message in [
        (None, "批准须填写批准金额"),
        ("0", "批准金额应大于0"),
        ("5000.01", "批准金额不能超过申请金额（5000.00 元）"),
        ("1.234", "批准金额应为金额，最多两位小数"),
    ]:
        with pytest.raises(ValidationError) as caught:
            aid_application_transition(
                actor=other, application=application, to_status=S.APPROVED, approved_amount=amount
            )
        assert caught.value.message_dict == {"approved_amount": [message]}
    application.refresh_from_db()
    assert (application.status, application.approved_amount) == (S.REVIEWED, None)
    aid_application_transition(actor=other, application=application, to_status=S.APPROVED, approved_amount="5000.00")
    application.refresh_from_db()
    assert application.approved_amount == Decimal("5000.00")


def test_clerk_may_not_review_approve_or_reject(clerk_yuzhong, application):
    for to in (S.REVIEWED, S.REJECTED):
        with pytest.raises(PermissionDenied):
            aid_application_transition(actor=clerk_yuzhong, application=application, to_status=to, reason="r")
    application.refresh_from_db()
    assert application.status == S.SUBMITTED
    assert allowed_transitions(user=clerk_yuzhong, application=application) == []


def test_submitter_may_not_approve_own_application(reviewer_yuzhong, person):
    own = aid_application_submit(actor=reviewer_yuzhong, person=person, year=2023, requested_amount="100", reason="x")
    own = aid_application_transition(actor=reviewer_yuzhong, application=own, to_status=S.REVIEWED)
    assert allowed_transitions(user=reviewer_yuzhong, application=own) == [S.REJECTED]
    with pytest.raises(PermissionDenied):
        aid_application_transition(actor=reviewer_yuzhong, application=own, to_status=S.APPROVED, approved_amount="1")
    own.refresh_from_db()
    assert own.status == S.REVIEWED


def test_reviewer_of_another_district_cannot_move(reviewer_jiangbei, application):
    with pytest.raises(ValidationError):
        aid_application_transition(actor=reviewer_jiangbei, application=application, to_status=S.REVIEWED)
    application.refresh_from_db()
    assert application.status == S.SUBMITTED


def test_recipient_register_and_end_are_audited(clerk_yuzhong, person):
    recipient = aid_recipient_register(
        actor=clerk_yuzhong, person=person, category="subsistence", valid_from=dt.date(2023, 1, 1)
    )
    assert (recipient.district_id, recipient.source, recipient.valid_to) == (person.district_id, "bureau", None)
    with pytest.raises(ValidationError) as caught:
        aid_recipient_register(
            actor=clerk_yuzhong, person=person, category="subsistence", valid_from=dt.date(2023, 1, 1)
        )
    assert "valid_from" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        aid_recipient_end(actor=clerk_yuzhong, recipient=recipient, valid_to=dt.date(2022, 12, 31))
    assert caught.value.message_dict == {"valid_to": ["认定截止日期不能早于认定开始日期"]}
    aid_recipient_end(actor=clerk_yuzhong, recipient=recipient, valid_to=dt.date(2023, 6, 30))
    recipient.refresh_from_db()
    assert recipient.valid_to == dt.date(2023, 6, 30)
    create, update = events(recipient)
    assert create.action == AuditEvent.Action.CREATE and create.new_values["category"] == "subsistence"
    assert (update.old_values, update.new_values) == ({"valid_to": None}, {"valid_to": "2023-06-30"})
    assert AidRecipient.objects.count() == 1


def test_recipient_register_in_another_district_is_refused(clerk_jiangbei, person):
    with pytest.raises(ValidationError):
        aid_recipient_register(
            actor=clerk_jiangbei, person=person, category="destitute", valid_from=dt.date(2023, 1, 1)
        )
    assert AidRecipient.objects.count() == 0


def test_alert_handle_needs_a_note_and_follows_its_moves(clerk_yuzhong, person):
    alert = HighCostAlert.objects.create(
        person=person, district_id=person.district_id, year=2023, out_of_pocket="30000.00", threshold="20000.00"
    )
    with pytest.raises(ValidationError) as caught:
        high_cost_alert_handle(actor=clerk_yuzhong, alert=alert, to_status="handled", note="")
    assert caught.value.message_dict == {"note": ["请填写跟进情况"]}
    high_cost_alert_handle(actor=clerk_yuzhong, alert=alert, to_status="handled", note="已协助申请救助")
    alert.refresh_from_db()
    assert (alert.status, alert.note) == ("handled", "已协助申请救助")
    with pytest.raises(ValidationError) as caught:
        high_cost_alert_handle(actor=clerk_yuzhong, alert=alert, to_status="open", note="x")
    assert caught.value.message_dict == {"to_status": ["不能从「已帮扶」变为「待跟进」"]}
    [event] = events(alert)
    assert event.old_values == {"status": "open", "note": ""}
    assert event.new_values == {"status": "handled", "note": "已协助申请救助"}
