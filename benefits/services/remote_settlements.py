"""Writes of cross-region direct settlement (异地就医直接结算), both ways.

* Outbound: our insured treated elsewhere; the cross-region platform sends the settlement. "参保地政策": it
  settles as a Settlement under our policy and our accumulators (`settlement_create` with `remote`), only
  under a filing that covers the care area and the day. Idempotent by the platform's settlement number.
* Inbound: patients insured elsewhere treated at our institutions. "就医地目录、参保地政策": the insured
  area's terms come in the platform message and are applied as given, never recomputed from our policy;
  what the fund share comes to is advanced by our fund (posted to the books) until the month's clearing.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.access import require_capability
from core.areas import area_code_clean, area_name
from core.ledger import event_post
from core.models import AuditEvent, User
from core.money import amount_text, percent_text, to_fen
from core.roles import Capability
from core.services import acting_user, audit_event_record, snapshot
from enrollment.models import Person, Scheme
from enrollment.validators import InvalidValue, validate_id_number

from ..institution_holds import institution_settlement_hold
from ..models import BenefitType, InboundSettlement, Institution, Settlement
from ..remote_selectors import RemoteTerms, remote_terms_for
from ..remote_settlement_selectors import get_outbound_settlement_or_404
from .institutions import institution_accepts, institution_elsewhere
from .settlements import SettlementConflict, SettlementRequest, _money, settlement_create, settlement_reverse

ZERO = Decimal("0.00")
NUMBER_MAX = 40


def _platform_number(value: Any) -> str:
    number = str(value or "").strip()
    if not number or len(number) > NUMBER_MAX:
        raise ValidationError({"platform_number": f"平台结算流水号不能为空，且不超过{NUMBER_MAX}个字符"})
    return number


def _id_number(value: Any) -> str:
    try:
        return validate_id_number(str(value or ""))
    except InvalidValue as exc:
        raise ValidationError({"id_number": str(exc)}) from None


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if not name or len(name) > 50:
        raise ValidationError({"name": "请填写姓名（不超过50字）"})
    return name


# --- Outbound: our insured, settled elsewhere, sent by the platform -----------------------------------


@dataclass(frozen=True)
class OutboundMessage:
    """What the cross-region platform sends for one of our insured treated elsewhere."""

    platform_number: str
    care_area_code: str
    institution_code: str
    institution_name: str
    institution_level: int | None
    id_number: str
    name: str
    benefit_type: str
    service_date: dt.date
    total_cost: Any
    eligible_cost: Any
    discharge_date: dt.date | None = None
    chronic_disease_code: str = ""
    diagnosis_code: str = ""


def _outbound_terms(*, person: Person, message: OutboundMessage, care_area_code: str, number: str) -> RemoteTerms:
    """Direct settlement elsewhere needs a filing; unfiled care is reimbursed at home by hand (零星报销)."""
    if person.name != message.name.strip():
        raise ValidationError({"name": "姓名与该身份证号登记的参保人姓名不一致"})
    terms = remote_terms_for(
        person_id=person.pk, on=message.service_date, care_area_code=care_area_code, platform_number=number
    )
    if terms.filing is None:
        raise ValidationError(
            {
                "care_area_code": (
                    f"该参保人在{message.service_date}没有覆盖{area_name(care_area_code)}的有效异地就医备案，"
                    "不能直接结算；未备案的异地就医费用请回参保地按零星报销办理"
                )
            }
        )
    return terms


def _outbound_conflict(existing: Settlement, *, request: SettlementRequest, institution_code: str, area: str) -> None:
    if (
        existing.request_fingerprint != request.fingerprint()
        or existing.institution.code != institution_code
        or existing.care_area_code != area
    ):
        raise SettlementConflict({"platform_number": f"平台结算流水号 {request.settlement_number} 已用于另一笔结算"})


def outbound_settle(*, actor: User | None, message: OutboundMessage) -> tuple[Settlement, bool]:
    """Settle one of our insured's care elsewhere as the platform sent it. Returns (settlement, created);
    the same message again returns the first result, another message under the same number is refused."""
    if actor is not None:
        require_capability(actor, Capability.REMOTE_SETTLE)
    number = _platform_number(message.platform_number)
    area = area_code_clean(message.care_area_code, field="care_area_code")
    request = SettlementRequest(
        settlement_number=number,
        id_number=message.id_number,
        benefit_type=message.benefit_type,
        service_date=message.service_date,
        discharge_date=message.discharge_date,
        total_cost=message.total_cost,
        eligible_cost=message.eligible_cost,
        chronic_disease_code=message.chronic_disease_code,
        diagnosis_code=message.diagnosis_code,
        use_account=False,  # outside the city the account part is paid in cash
    )
    code = (message.institution_code or "").strip().upper()
    # The platform's number is unique across institutions: a retry naming another one is a conflict.
    existing = Settlement.objects.select_related("institution").filter(platform_number=number).first()
    if existing is not None:
        _outbound_conflict(existing, request=request, institution_code=code, area=area)
        return existing, False
    institution = institution_elsewhere(
        code=code,
        name=message.institution_name,
        level=message.institution_level,
        area_code=area,
        on=message.service_date,
    )
    try:
        settlement, created = settlement_create(
            actor=actor,
            institution=institution,
            request=request,
            kind=Settlement.Kind.DIRECT,
            remote=lambda person: _outbound_terms(person=person, message=message, care_area_code=area, number=number),
        )
    except IntegrityError:
        # A parallel message under the same number at another institution won the race.
        existing = Settlement.objects.select_related("institution").filter(platform_number=number).first()
        if existing is None:
            raise
        _outbound_conflict(existing, request=request, institution_code=code, area=area)
        return existing, False
    if settlement.platform_number != number:
        # The institution's own number was already taken by a 零星报销 of the same invoice number.
        raise SettlementConflict({"platform_number": f"平台结算流水号 {number} 与该机构已有的结算单号重复"})
    return settlement, created


def outbound_reverse(*, actor: User | None, platform_number: str, reason: str) -> tuple[Settlement, bool]:
    """冲正 by the platform: the year's totals get back exactly the settlement's share; idempotent."""
    if actor is not None:
        require_capability(actor, Capability.REMOTE_SETTLE)
    settlement = get_outbound_settlement_or_404(platform_number=platform_number)
    return settlement_reverse(actor=actor, settlement=settlement, reason=reason)


# --- Inbound: patients insured elsewhere, settled at our institutions ---------------------------------


@dataclass(frozen=True)
class InboundTerms:
    """The insured area's terms as the platform computed them for this claim."""

    deductible: Any
    ratio: Any
    cap_remaining: Any
    critical_paid: Any = None


@dataclass(frozen=True)
class InboundMessage:
    platform_number: str
    insured_area_code: str
    id_number: str
    name: str
    scheme: str
    benefit_type: str
    service_date: dt.date
    total_cost: Any
    eligible_cost: Any
    terms: InboundTerms
    discharge_date: dt.date | None = None
    institution_code: str = ""  # optional: when sent, it must be the sending institution's own code


def _ratio(value: Any) -> Decimal:
    try:
        ratio = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"terms": "参保地统筹基金支付比例应为 0 至 1 之间的小数，如 0.85"}) from None
    if not ratio.is_finite() or not ZERO <= ratio <= 1 or ratio != ratio.quantize(Decimal("0.0001")):
        raise ValidationError({"terms": "参保地统筹基金支付比例应为 0 至 1 之间的小数（最多4位），如 0.85"})
    return ratio


def _terms_money(name: str, label: str, value: Any) -> Decimal:
    try:
        return _money(name, value)
    except ValidationError as exc:
        said = "；".join(exc.message_dict[name])
        raise ValidationError({"terms": f"{label}：{said}"}) from None


@dataclass(frozen=True)
class InboundFigures:
    total: Decimal
    eligible: Decimal
    deductible: Decimal
    ratio: Decimal
    cap_remaining: Decimal
    pooled: Decimal
    critical: Decimal
    out_of_pocket: Decimal
    steps: list[str]
    terms: dict[str, str]


def inbound_figures(*, total_cost: Any, eligible_cost: Any, terms: InboundTerms) -> InboundFigures:
    """The insured area's fund share from its terms, to the fen half-up, with the working for the statement:
    pooled = min(max(eligible - deductible, 0) x ratio, cap left); tier 2 as the area computed it."""
    total = _money("total_cost", total_cost)
    eligible = _money("eligible_cost", eligible_cost)
    if eligible > total:
        raise ValidationError({"eligible_cost": "政策范围内费用不能大于医疗总费用"})
    deductible = _terms_money("deductible", "起付标准", terms.deductible)
    ratio = _ratio(terms.ratio)
    cap = _terms_money("cap_remaining", "年度支付限额剩余", terms.cap_remaining)
    supplied_critical = terms.critical_paid not in (None, "")
    critical = _terms_money("critical_paid", "大病保险支付", terms.critical_paid) if supplied_critical else ZERO
    above = max(eligible - deductible, ZERO)
    pooled = to_fen(min(above * ratio, cap))
    left = eligible - pooled
    if critical > left:
        raise ValidationError(
            {
                "terms": f"参保地大病保险支付 {amount_text(critical)} 元超过统筹基金支付后"
                f"剩余的政策范围内费用 {amount_text(left)} 元"
            }
        )
    out_of_pocket = total - pooled - critical
    steps = [
        "异地就医（就医地结算）：执行参保地待遇政策，起付标准、支付比例和年度支付限额剩余按跨区域结算平台传来的参保地待遇，不按本市政策重新计算",
        f"政策范围内费用 {amount_text(eligible)} 元，参保地起付标准 {amount_text(deductible)} 元，"
        f"超过起付标准部分 {amount_text(above)} 元",
        f"参保地统筹基金支付比例 {percent_text(ratio)}：{amount_text(above)} × {percent_text(ratio)} = "
        f"{amount_text(to_fen(above * ratio))} 元",
    ]
    if to_fen(above * ratio) > cap:
        steps.append(f"参保地年度支付限额剩余 {amount_text(cap)} 元，统筹基金支付以此为限")
    steps.append(f"参保地统筹基金支付 {amount_text(pooled)} 元")
    if supplied_critical:
        steps.append(f"参保地大病保险支付（参保地计算） {amount_text(critical)} 元")
    steps.append(
        f"个人自付 = 医疗总费用 {amount_text(total)} − 统筹基金 {amount_text(pooled)} − 大病保险 "
        f"{amount_text(critical)} = {amount_text(out_of_pocket)} 元；"
        "基金支付部分由本市医保基金先行垫付，月度清算时向参保地收回"
    )
    stored = {"deductible": str(deductible), "ratio": str(ratio), "cap_remaining": str(cap)}
    if supplied_critical:
        stored["critical_paid"] = str(critical)
    return InboundFigures(total, eligible, deductible, ratio, cap, pooled, critical, out_of_pocket, steps, stored)


def _inbound_fingerprint(message: InboundMessage, institution: Institution) -> str:
    fields = {k: str(v) for k, v in message.__dict__.items() if k not in ("terms", "institution_code")}
    fields["terms"] = {k: str(v) for k, v in message.terms.__dict__.items()}
    fields["institution"] = institution.code
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _inbound_institution(actor: User | None, message: InboundMessage) -> Institution:
    require_capability(actor, Capability.SETTLE)
    institution = Institution.objects.filter(pk=actor.institution_id).first()
    if institution is None or institution.area_code or institution.district_id is None:
        raise PermissionDenied("只有本市定点医药机构可以结算异地就医人员")
    code = (message.institution_code or "").strip().upper()
    if code and code != institution.code:
        raise PermissionDenied("只能以本机构名义结算")
    return institution


def _existing_inbound(*, number: str, fingerprint: str) -> InboundSettlement | None:
    existing = InboundSettlement.objects.filter(platform_number=number).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise SettlementConflict({"platform_number": f"平台结算流水号 {number} 已用于另一笔结算"})
    return existing


INBOUND_AUDITED = [
    "platform_number",
    "insured_area_code",
    "benefit_type",
    "service_date",
    "total_cost",
    "eligible_cost",
    "terms",
    "pooled_paid",
    "critical_paid",
    "out_of_pocket",
    "status",
]


def inbound_settle(*, actor: User, message: InboundMessage) -> tuple[InboundSettlement, bool]:
    """Settle a patient insured elsewhere at the actor's own institution. Returns (inbound, created); the
    same message again returns the first result, another message under the same number answers 409."""
    institution = _inbound_institution(actor, message)
    number = _platform_number(message.platform_number)
    fingerprint = _inbound_fingerprint(message, institution)
    existing = _existing_inbound(number=number, fingerprint=fingerprint)
    if existing is not None:
        return existing, False
    try:
        return _inbound_create(
            actor=actor, institution=institution, message=message, number=number, fingerprint=fingerprint
        )
    except IntegrityError:
        existing = _existing_inbound(number=number, fingerprint=fingerprint)
        if existing is None:
            raise
        return existing, False


@transaction.atomic
def _inbound_create(
    *, actor: User, institution: Institution, message: InboundMessage, number: str, fingerprint: str
) -> tuple[InboundSettlement, bool]:
    area = area_code_clean(message.insured_area_code, field="insured_area_code")
    id_number = _id_number(message.id_number)
    name = _name(message.name)
    if message.scheme not in Scheme.values:
        raise ValidationError({"scheme": "险种应为职工医保（employee）或居民医保（resident）"})
    if message.benefit_type not in BenefitType.values:
        raise ValidationError({"benefit_type": "待遇类型不正确"})
    on = message.service_date
    if on > timezone.localdate():
        raise ValidationError({"service_date": "就诊日期不能晚于今天"})
    if message.discharge_date and message.discharge_date < on:
        raise ValidationError({"discharge_date": "出院日期不能早于入院日期"})
    if message.benefit_type == BenefitType.INPATIENT and message.discharge_date is None:
        raise ValidationError({"discharge_date": "住院结算需填写出院日期"})
    if (institution.kind == Institution.Kind.PHARMACY) != (message.benefit_type == BenefitType.PHARMACY):
        raise ValidationError({"benefit_type": "药店只能结算药店购药，医院不能结算药店购药"})
    institution_accepts(institution=institution, on=on)
    if reason := institution_settlement_hold(institution=institution, on=timezone.localdate()):
        raise ValidationError({"institution": reason})
    figures = inbound_figures(total_cost=message.total_cost, eligible_cost=message.eligible_cost, terms=message.terms)
    inbound = InboundSettlement.objects.create(
        platform_number=number,
        institution=institution,
        district_id=institution.district_id,
        insured_area_code=area,
        id_number=id_number,
        name=name,
        scheme=message.scheme,
        benefit_type=message.benefit_type,
        service_date=on,
        discharge_date=message.discharge_date,
        year=on.year,
        total_cost=figures.total,
        eligible_cost=figures.eligible,
        terms=figures.terms,
        pooled_paid=figures.pooled,
        critical_paid=figures.critical,
        out_of_pocket=figures.out_of_pocket,
        steps=figures.steps,
        request_fingerprint=fingerprint,
        settled_at=timezone.now(),
        created_by=acting_user(actor),
    )
    event_post(source="remote_inbound", record_id=inbound.pk, actor=actor)
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=inbound,
        new_values=snapshot(inbound, fields=INBOUND_AUDITED),
    )
    return inbound, True


@transaction.atomic
def inbound_reverse(*, actor: User, inbound: InboundSettlement, reason: str) -> tuple[InboundSettlement, bool]:
    """冲正 by the institution that settled it: what was advanced is taken back off the books (its own
    entry); reversing twice changes nothing the second time."""
    require_capability(actor, Capability.SETTLE)
    if inbound.institution_id != actor.institution_id:
        raise PermissionDenied("只能冲正本机构的异地就医结算")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写冲正原因"})
    inbound = InboundSettlement.objects.select_for_update().get(pk=inbound.pk)
    if inbound.status == InboundSettlement.Status.REVERSED:
        return inbound, False
    inbound.status = InboundSettlement.Status.REVERSED
    inbound.reversed_at = timezone.now()
    inbound.reversal_reason = reason[:200]
    inbound.save(update_fields=["status", "reversed_at", "reversal_reason", "updated_at"])
    event_post(source="remote_inbound_rev", record_id=inbound.pk, actor=actor, memo=inbound.reversal_reason)
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=inbound,
        old_values={"status": InboundSettlement.Status.SETTLED},
        new_values={"status": InboundSettlement.Status.REVERSED, "reason": inbound.reversal_reason},
    )
    return inbound, True
