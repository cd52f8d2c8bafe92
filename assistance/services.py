"""Writes of the assistance app: aid recipients by hand, aid applications and their workflow, alert follow-up.

Every service checks the actor's capability and district, and writes its audit event in the same
transaction. `actor=None` is the system (management commands), which is trusted.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.access import require_capability
from core.ledger import event_post
from core.models import AuditEvent, User
from core.roles import Capability
from core.scope import require_edit_in_district
from core.services import acting_user, audit_event_record, status_change_record
from enrollment.models import Person, Scheme
from enrollment.services import enrollment_register, person_register

from .coverage import coverage
from .models import AidApplication, AidCategory, AidEnrollmentItem, AidRecipient, HighCostAlert

Status = AidApplication.Status
FEN = Decimal("0.01")
# Moves that are a decision on the application and need the review capability.
REVIEW_MOVES = {Status.REVIEWED, Status.APPROVED, Status.REJECTED}


def _money(value: Any, field: str, label: str) -> Decimal:
    """A positive amount in yuan, at most two decimals (to the fen)."""
    try:
        amount = Decimal(str(value))
        if not amount.is_finite() or amount != amount.quantize(FEN):
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: f"{label}应为金额，最多两位小数"}) from None
    if amount <= 0:
        raise ValidationError({field: f"{label}应大于0"})
    if amount >= Decimal(10) ** 10:
        raise ValidationError({field: f"{label}过大"})
    return amount


def _check_period(valid_from: dt.date, valid_to: dt.date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": "认定截止日期不能早于认定开始日期"})


def _recipient_values(recipient: AidRecipient) -> dict[str, Any]:
    return {
        "person_id": recipient.person_id,
        "category": recipient.category,
        "valid_from": recipient.valid_from.isoformat(),
        "valid_to": recipient.valid_to.isoformat() if recipient.valid_to else None,
        "source": recipient.source,
    }


@transaction.atomic
def aid_recipient_register(
    *,
    actor: User | None,
    person: Person,
    category: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    source: str = AidRecipient.Source.BUREAU,
    import_batch_id: int | None = None,
) -> AidRecipient:
    """Record by hand that a person is an aid recipient in a category from a date (district = the person's)."""
    require_edit_in_district(actor=actor, district_id=person.district_id, field="id_number")
    if category not in AidCategory.values:
        raise ValidationError({"category": "请选择救助类别"})
    if source not in AidRecipient.Source.values:
        raise ValidationError({"source": "请选择数据来源"})
    if valid_from is None:
        raise ValidationError({"valid_from": "请填写认定开始日期"})
    _check_period(valid_from, valid_to)
    if AidRecipient.objects.filter(person=person, category=category, valid_from=valid_from).exists():
        raise ValidationError({"valid_from": "该参保人同一救助类别、同一开始日期的认定已存在"})
    recipient = AidRecipient(
        person=person,
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        district_id=person.district_id,
        import_batch_id=import_batch_id,
    )
    try:
        with transaction.atomic():
            recipient.save()
    except IntegrityError:  # a concurrent registration of the same record
        raise ValidationError({"valid_from": "该参保人同一救助类别、同一开始日期的认定已存在"}) from None
    audit_event_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=recipient, new_values=_recipient_values(recipient)
    )
    return recipient


@transaction.atomic
def aid_recipient_end(
    *, actor: User | None, recipient: AidRecipient, valid_to: dt.date, note: str = ""
) -> AidRecipient:
    """End (or move the end of) a recipient's validity, e.g. when civil affairs stops the allowance."""
    require_edit_in_district(actor=actor, district_id=recipient.district_id)
    recipient = AidRecipient.objects.select_for_update().get(pk=recipient.pk)
    if valid_to is None:
        raise ValidationError({"valid_to": "请填写认定截止日期"})
    _check_period(recipient.valid_from, valid_to)
    old = recipient.valid_to
    if old == valid_to:
        return recipient
    recipient.valid_to = valid_to
    recipient.save(update_fields=["valid_to", "updated_at"])
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=recipient,
        old_values={"valid_to": old.isoformat() if old else None},
        new_values={"valid_to": valid_to.isoformat()},
        note=note,
    )
    return recipient


@transaction.atomic
def aid_application_submit(
    *, actor: User | None, person: Person, year: int, requested_amount: Any, reason: str
) -> AidApplication:
    """Take in an application for aid (依申请救助); it waits in the district's queue for review."""
    require_edit_in_district(actor=actor, district_id=person.district_id, field="id_number")
    amount = _money(requested_amount, "requested_amount", "申请金额")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写申请事由"})
    if len(reason) > 500:
        raise ValidationError({"reason": "申请事由不超过500个字"})
    this_year = timezone.localdate().year
    if not isinstance(year, int) or not 2000 <= year <= this_year:
        raise ValidationError({"year": f"年度应在2000至{this_year}之间"})
    application = AidApplication.objects.create(
        person=person,
        district_id=person.district_id,
        year=year,
        requested_amount=amount,
        reason=reason,
        submitted_by=acting_user(actor),
    )
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=application,
        new_values={"person_id": person.pk, "year": year, "requested_amount": str(amount), "status": Status.SUBMITTED},
    )
    return application


def _move_message(current: str, to: str) -> str:
    return f"不能从「{Status(current).label}」变为「{Status(to).label}」"


@transaction.atomic
def aid_application_transition(
    *,
    actor: User | None,
    application: AidApplication,
    to_status: str,
    reason: str = "",
    approved_amount: Any = None,
    paid_on: dt.date | None = None,
) -> AidApplication:
    """Move an application one step along AidApplication.TRANSITIONS.

    初审 / 批准 / 驳回 need the review capability in the application's district; the one who took
    the application in may not approve it. 驳回 needs a reason, 批准 an amount (0 < x <= requested),
    支付 records the payment date. Every move is audited with the old and new status.
    """
    if to_status not in Status.values:
        raise ValidationError({"to_status": "目标状态无效"})
    if actor is not None:
        require_capability(actor, Capability.REVIEW if to_status in REVIEW_MOVES else Capability.EDIT)
    require_edit_in_district(actor=actor, district_id=application.district_id)
    application = AidApplication.objects.select_for_update().get(pk=application.pk)
    current = application.status
    if to_status not in AidApplication.TRANSITIONS[current]:
        raise ValidationError({"to_status": _move_message(current, to_status)})
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationError({"reason": "审核意见不超过500个字"})
    user = acting_user(actor)
    fields = ["status", "updated_at"]
    if to_status == Status.REJECTED and not reason:
        raise ValidationError({"reason": "驳回须填写理由"})
    if to_status == Status.APPROVED:
        if user is not None and application.submitted_by_id == user.pk:
            raise PermissionDenied("不能审批本人受理的申请")
        if approved_amount in (None, ""):
            raise ValidationError({"approved_amount": "批准须填写批准金额"})
        amount = _money(approved_amount, "approved_amount", "批准金额")
        if amount > application.requested_amount:
            raise ValidationError({"approved_amount": f"批准金额不能超过申请金额（{application.requested_amount} 元）"})
        application.approved_amount = amount
        fields.append("approved_amount")
    if to_status in (Status.APPROVED, Status.REJECTED):
        application.decided_by = user
        fields.append("decided_by")
    if to_status in REVIEW_MOVES and reason:
        application.decision_reason = reason
        fields.append("decision_reason")
    if to_status == Status.PAID:
        application.paid_on = paid_on or timezone.localdate()
        fields.append("paid_on")
    application.status = to_status
    application.save(update_fields=fields)
    if to_status == Status.PAID:
        event_post(source="aid_application", record_id=application.pk, actor=actor)
    new_values: dict[str, Any] = {"status": to_status}
    if to_status == Status.APPROVED:
        new_values["approved_amount"] = str(application.approved_amount)
    if to_status == Status.PAID:
        new_values["paid_on"] = application.paid_on.isoformat()
    status_change_record(actor=actor, obj=application, old_status=current, new_values=new_values, reason=reason)
    return application


def allowed_transitions(*, user: Any, application: AidApplication) -> list[str]:
    """The moves this user may offer on this application (for buttons; the service checks again)."""
    moves = []
    for to in AidApplication.TRANSITIONS[application.status]:
        needed = Capability.REVIEW if to in REVIEW_MOVES else Capability.EDIT
        if not user.has_capability(needed):
            continue
        if to == Status.APPROVED and application.submitted_by_id == user.pk:
            continue
        moves.append(to)
    order = list(Status.values)
    return sorted(moves, key=order.index)


# Follow-up of a high-cost alert: open -> handled (aid given) or closed (no aid needed).
ALERT_MOVES = {
    HighCostAlert.Status.OPEN: {HighCostAlert.Status.HANDLED, HighCostAlert.Status.CLOSED},
    HighCostAlert.Status.HANDLED: {HighCostAlert.Status.CLOSED},
    HighCostAlert.Status.CLOSED: set(),
}


@transaction.atomic
def high_cost_alert_handle(*, actor: User | None, alert: HighCostAlert, to_status: str, note: str) -> HighCostAlert:
    """Record the follow-up of an alert, with a note; audited."""
    require_edit_in_district(actor=actor, district_id=alert.district_id)
    alert = HighCostAlert.objects.select_for_update().get(pk=alert.pk)
    if to_status not in HighCostAlert.Status.values:
        raise ValidationError({"to_status": "目标状态无效"})
    if to_status not in ALERT_MOVES[alert.status]:
        raise ValidationError(
            {
                "to_status": f"不能从「{HighCostAlert.Status(alert.status).label}」"
                f"变为「{HighCostAlert.Status(to_status).label}」"
            }
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "请填写跟进情况"})
    if len(note) > 500:
        raise ValidationError({"note": "跟进情况不超过500个字"})
    old = {"status": alert.status, "note": alert.note}
    alert.status, alert.note = to_status, note
    alert.save(update_fields=["status", "note", "updated_at"])
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=alert,
        old_values=old,
        new_values={"status": to_status, "note": note},
    )
    return alert


# --- 待参保 worklist (应保尽保) ---

Item = AidEnrollmentItem.Status


def _item_move(*, actor: User | None, item: AidEnrollmentItem, to_status: str) -> AidEnrollmentItem:
    """Lock the item and check the move against AidEnrollmentItem.TRANSITIONS (the one gate for both moves)."""
    if actor is not None:
        require_capability(actor, Capability.EDIT)
    require_edit_in_district(actor=actor, district_id=item.district_id)
    item = AidEnrollmentItem.objects.select_for_update().get(pk=item.pk)
    if to_status not in AidEnrollmentItem.TRANSITIONS[item.status]:
        raise ValidationError({"status": f"该待参保事项已{Item(item.status).label}，不能再办理"})
    return item


@transaction.atomic
def aid_enrollment_item_enroll(
    *,
    actor: User | None,
    item: AidEnrollmentItem,
    category: str,
    tier: Any,
    start_date: dt.date,
    phone: str = "",
    graduation_year: Any = None,
    coverage_year: int | None = None,
) -> AidEnrollmentItem:
    """Enroll a person of the worklist, all or nothing: register them (ID and name from the list), open a
    resident enrollment, record them as an aid recipient of the list's category and period, and issue the
    coverage year's bill, whose 资助参保 comes from that record. The item closes with a link to the person."""
    item = _item_move(actor=actor, item=item, to_status=Item.ENROLLED)
    if start_date is None:
        raise ValidationError({"start_date": "请填写参保开始日期"})
    year = coverage_year or timezone.localdate().year
    if Person.objects.filter(id_number=item.id_number).exists():
        raise ValidationError(
            {"id_number": "该身份证号已参保登记：请在参保人页面登记救助对象，或重新导入名单以核对此事项"}
        )
    person = person_register(
        actor=actor, id_number=item.id_number, name=item.name, district_id=item.district_id, phone=phone
    )
    enrollment = enrollment_register(
        actor=actor,
        person=person,
        scheme=Scheme.RESIDENT,
        category=category,
        district_id=item.district_id,
        start_date=start_date,
        tier=tier,
        graduation_year=graduation_year,
    )
    recipient = aid_recipient_register(
        actor=actor,
        person=person,
        category=item.category,
        valid_from=item.valid_from,
        valid_to=item.valid_to,
        source=item.source,
        import_batch_id=item.import_batch_id,
    )
    bill = coverage().issue_bill(actor=actor, enrollment=enrollment, coverage_year=year)
    item.status, item.person = Item.ENROLLED, person
    item.closed_by, item.closed_at = acting_user(actor), timezone.now()
    item.save(update_fields=["status", "person", "closed_by", "closed_at", "updated_at"])
    # The same person may sit on another district's list too: they are enrolled now, here.
    AidEnrollmentItem.objects.filter(id_number=item.id_number, status=Item.OPEN).update(
        status=Item.ENROLLED, person=person, note="已由其他事项办理参保", closed_at=item.closed_at
    )
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=item,
        old_values={"status": Item.OPEN},
        new_values={
            "status": Item.ENROLLED, "person_id": person.pk, "enrollment_id": enrollment.pk,
            "aid_recipient_id": recipient.pk, "bill_id": bill.pk, "coverage_year": year,
            "subsidy_amount": str(bill.subsidy_amount),
        },
    )  # fmt: skip
    return item


@transaction.atomic
def aid_enrollment_item_dismiss(*, actor: User | None, item: AidEnrollmentItem, note: str) -> AidEnrollmentItem:
    """核销 an item that needs no enrollment here (insured elsewhere, moved away, deceased), with the reason."""
    item = _item_move(actor=actor, item=item, to_status=Item.DISMISSED)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "请填写核销原因"})
    if len(note) > 500:
        raise ValidationError({"note": "核销原因不超过500个字"})
    item.status, item.note = Item.DISMISSED, note
    item.closed_by, item.closed_at = acting_user(actor), timezone.now()
    item.save(update_fields=["status", "note", "closed_by", "closed_at", "updated_at"])
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=item,
        old_values={"status": Item.OPEN},
        new_values={"status": Item.DISMISSED, "note": note},
        note=note,
    )
    return item
