"""Writes on contribution standards, bills and payments."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assistance.subsidies import contribution_subsidies, subsidy_amount
from contributions.models import ContributionBill, ContributionPayment, ContributionStandard, CoverageWindow
from core.access import district_in_scope
from core.ledger import event_post
from core.models import AuditEvent, User
from core.money import to_fen
from core.scope import require_edit_in_district
from core.services import acting_user, audit_event_record, snapshot
from enrollment.models import Category, Enrollment, Scheme

from .postings import paid_on_for
from .selectors import coverage_window_for

MONTHS = 12


def bill_due_amount(*, standard: ContributionStandard, scheme: str, contribution_base: Decimal | None) -> Decimal:
    """Residents pay the flat individual amount; employees a year of (employer + individual) rate x base."""
    if scheme == Scheme.RESIDENT:
        return to_fen(standard.individual_amount)
    return to_fen((contribution_base or Decimal(0)) * (standard.employer_rate + standard.individual_rate) * MONTHS)


def bill_amounts(*, standard: ContributionStandard, scheme: str, contribution_base: Decimal | None) -> dict:
    """A bill's due amount with the fund books' parts: the employer's share and the fiscal subsidy."""
    resident = scheme == Scheme.RESIDENT
    employer = to_fen((contribution_base or Decimal(0)) * standard.employer_rate * MONTHS)
    return {
        "due_amount": bill_due_amount(standard=standard, scheme=scheme, contribution_base=contribution_base),
        "employer_due": Decimal("0.00") if resident else employer,
        "fiscal_subsidy": to_fen(standard.fiscal_subsidy) if resident else Decimal("0.00"),
    }


def coverage_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a coverage year (a calendar year)."""
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def cover_period_start(*, category: str, coverage_year: int) -> dt.date:
    """The first day of a coverage year's benefit period: 1 Jan; university students' academic year from
    1 Sept of the year before (the rule of benefits.periods.benefit_period, an app above this one)."""
    return dt.date(coverage_year - 1, 9, 1) if category == Category.STUDENT else dt.date(coverage_year, 1, 1)


def cover_from_for(
    *,
    scheme: str,
    category: str,
    coverage_year: int,
    status: str,
    paid_on: dt.date | None,
    subsidised: bool,
    window: CoverageWindow | None,
) -> dt.date | None:
    """待遇起始日 of a bill: none until it is fully paid. 渝医保发〔2022〕25号: "集中参保期为文件下发之日起至
    2022年12月31日": a resident paid in full by the window's end is covered for the whole benefit period;
    paid later, from `waiting_days` after the payment day (the waiting period's length is a configurable
    default, CoverageWindow.waiting_source). 资助参保 residents are covered from the start ("确保应保尽保、
    应助尽助": the aid decides their enrollment, not their own timing). Employees follow their enrollment: no
    seed gives them a window. A year without a CoverageWindow row has no waiting period."""
    if status != ContributionBill.Status.PAID:
        return None
    start = cover_period_start(category=category, coverage_year=coverage_year)
    late = window is not None and paid_on is not None and paid_on > window.window_end
    if scheme != Scheme.RESIDENT or subsidised or not late:
        return start
    return max(start, paid_on + dt.timedelta(days=window.waiting_days))


def bill_cover_from(*, bill: ContributionBill, category: str, window: CoverageWindow | None) -> dt.date | None:
    return cover_from_for(
        scheme=bill.scheme,
        category=category,
        coverage_year=bill.coverage_year,
        status=bill.status,
        paid_on=bill.paid_on,
        subsidised=bill.subsidy_amount > 0,
        window=window,
    )


def billable_enrollments(*, coverage_year: int) -> QuerySet[Enrollment]:
    """The one rule of who gets a bill for a coverage year, for one person's bill and the yearly batch alike:
    an active enrollment that has started by 31 Dec of the year (an active one has no end date; the end-date
    test keeps the rule whole if that ever changes)."""
    first, last = coverage_year_bounds(coverage_year)
    return Enrollment.objects.filter(status=Enrollment.Status.ACTIVE, start_date__lte=last).exclude(end_date__lt=first)


def _standard_for(*, year: int, scheme: str, category: str, tier: int | None) -> ContributionStandard:
    standard = ContributionStandard.objects.filter(year=year, scheme=scheme, category=category, tier=tier).first()
    if standard is None:
        raise ValidationError({"coverage_year": f"未设置{year}年度该险种和人员类别的筹资标准"})
    return standard


def bill_status(*, due: Decimal, subsidy: Decimal, paid: Decimal) -> str:
    outstanding = due - subsidy - paid
    if outstanding <= 0:
        return ContributionBill.Status.PAID
    return ContributionBill.Status.PARTIAL if paid > 0 else ContributionBill.Status.UNPAID


def _subsidies(*, rows: list[dict], year: int) -> dict:
    """资助参保 policies per resident person of the rows (the assistance app decides who gets what)."""
    residents = [r["person_id"] for r in rows if r["scheme"] == Scheme.RESIDENT]
    return contribution_subsidies(person_ids=residents, year=year) if residents else {}


@transaction.atomic
def contribution_bill_issue(*, actor: User | None, enrollment: Enrollment, coverage_year: int) -> ContributionBill:
    """The bill of one person for one coverage year; issuing it twice returns the first."""
    require_edit_in_district(actor=actor, district_id=enrollment.district_id)
    enrollment = Enrollment.objects.get(pk=enrollment.pk)  # the caller's copy may be stale
    existing = ContributionBill.objects.filter(person_id=enrollment.person_id, coverage_year=coverage_year).first()
    if existing is not None:
        if actor is not None and not district_in_scope(user=actor, district_id=existing.district_id):
            raise ValidationError({"coverage_year": f"该人员{coverage_year}年度的缴费单由其他区县管理"})
        return existing
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ValidationError({"coverage_year": "该参保登记已终止或暂停，不能生成缴费单"})
    if not billable_enrollments(coverage_year=coverage_year).filter(pk=enrollment.pk).exists():
        raise ValidationError({"coverage_year": f"参保开始日期晚于{coverage_year}年度"})
    standard = _standard_for(
        year=coverage_year, scheme=enrollment.scheme, category=enrollment.category, tier=enrollment.tier
    )
    amounts = bill_amounts(standard=standard, scheme=enrollment.scheme, contribution_base=enrollment.contribution_base)
    due = amounts["due_amount"]
    policies = _subsidies(rows=[{"person_id": enrollment.person_id, "scheme": enrollment.scheme}], year=coverage_year)
    subsidy = subsidy_amount(due=due, policies=policies.get(enrollment.person_id, []))
    status = bill_status(due=due, subsidy=subsidy, paid=Decimal(0))
    bill = ContributionBill(
        person_id=enrollment.person_id,
        enrollment=enrollment,
        district_id=enrollment.district_id,
        coverage_year=coverage_year,
        scheme=enrollment.scheme,
        subsidy_amount=subsidy,
        status=status,
        paid_on=paid_on_for(status=status, day=timezone.localdate()),
        **amounts,
    )
    bill.cover_from = bill_cover_from(
        bill=bill, category=enrollment.category, window=coverage_window_for(year=coverage_year)
    )
    bill.save()
    event_post(source="bill", record_id=bill.pk, actor=actor)
    event_post(source="fiscal_subsidy", record_id=bill.pk, actor=actor)
    audit_event_record(actor=actor, action=AuditEvent.Action.CREATE, obj=bill, new_values=snapshot(bill))
    return bill


def channels_accepted() -> str:
    """The payment channels staff may name, in Chinese, for a refusal that says what is accepted."""
    return "、".join(str(label) for label in ContributionPayment.Channel.labels)


def channel_invalid_message() -> str:
    return f"缴费渠道无效，可选：{channels_accepted()}"


def _replay_or_refuse(*, reference: str, bill: ContributionBill, amount: Decimal) -> ContributionPayment | None:
    existing = ContributionPayment.objects.filter(reference=reference).first()
    if existing is None:
        return None
    if existing.bill_id == bill.pk and existing.amount == amount:
        return existing
    raise ValidationError({"reference": "该缴费流水号已记录为另一笔缴费"})


@transaction.atomic
def payment_record(
    *,
    actor: User | None,
    bill: ContributionBill,
    amount: Any,
    paid_on: dt.date,
    reference: str,
    channel: str,
) -> tuple[ContributionPayment, bool]:
    """Record a payment once per reference (缴费流水号). Returns (payment, created).

    The same reference with the same bill and amount is a harmless retry and changes nothing;
    the same reference with different data is refused.
    """
    require_edit_in_district(actor=actor, district_id=bill.district_id)
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": "缴费流水号不能为空"})
    try:
        amount = to_fen(Decimal(str(amount)))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"amount": "缴费金额应为数字，最多两位小数"}) from None
    if amount <= 0:
        raise ValidationError({"amount": "缴费金额须大于0"})
    if channel not in ContributionPayment.Channel.values:
        raise ValidationError({"channel": channel_invalid_message()})
    # Lock the bill first: two deliveries of the same payment then run one after the other,
    # and the second sees the first's row below.
    bill = ContributionBill.objects.select_for_update().get(pk=bill.pk)
    existing = _replay_or_refuse(reference=reference, bill=bill, amount=amount)
    if existing is not None:
        return existing, False
    if amount > bill.outstanding:
        raise ValidationError({"amount": f"缴费金额超过未缴金额（未缴 {bill.outstanding} 元）"})
    try:
        with transaction.atomic():
            payment = ContributionPayment.objects.create(
                bill=bill,
                amount=amount,
                paid_on=paid_on,
                reference=reference,
                channel=channel,
                recorded_by=acting_user(actor),
            )
    except IntegrityError:
        # The same reference was just recorded against another bill by a concurrent request.
        existing = _replay_or_refuse(reference=reference, bill=bill, amount=amount)
        if existing is not None:
            return existing, False
        raise
    old = {"paid_amount": str(bill.paid_amount), "status": bill.status}
    bill.paid_amount += amount
    bill.status = bill_status(due=bill.due_amount, subsidy=bill.subsidy_amount, paid=bill.paid_amount)
    bill.paid_on = paid_on_for(status=bill.status, day=paid_on)
    bill.cover_from = bill_cover_from(
        bill=bill, category=bill.enrollment.category, window=coverage_window_for(year=bill.coverage_year)
    )
    bill.save(update_fields=["paid_amount", "status", "paid_on", "cover_from", "updated_at"])
    event_post(source="payment", record_id=payment.pk, actor=actor)
    if bill.paid_on is not None:
        event_post(source="fiscal_subsidy", record_id=bill.pk, actor=actor)
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=payment,
        district_id=bill.district_id,
        new_values=snapshot(payment),
    )
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=bill,
        old_values=old,
        new_values={"paid_amount": str(bill.paid_amount), "status": bill.status},
    )
    return payment, True
