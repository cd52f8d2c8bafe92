"""Writes of settlements: settle one visit or stay, reverse it, under a row lock on the year's totals.

Lock order, everywhere: the patient's AnnualAccumulator row, then the paying PersonalAccount row.
Every path takes them in that order, so two settlements never wait on each other in a circle.
"""

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from assistance.selectors import aid_settlement_terms
from assistance.terms import aid_terms_for_claim
from contributions.models import ContributionBill
from contributions.selectors import cover_refusal
from core.access import require_capability
from core.ledger import event_post
from core.models import AuditEvent, User
from core.money import to_fen
from core.roles import Capability
from core.scope import require_edit_in_district
from core.services import acting_user, audit_event_record, snapshot
from enrollment.models import Enrollment, Person, Scheme
from enrollment.services import death_refusal
from enrollment.validators import InvalidValue, validate_id_number

from .. import calculator
from ..institution_holds import institution_settlement_hold
from ..models import (
    AccountEntry,
    AnnualAccumulator,
    BenefitPolicy,
    BenefitType,
    ChronicRegistration,
    Institution,
    PersonalAccount,
    Settlement,
)
from ..models.chronic import DiseaseKind
from ..periods import benefit_period, coverage_year_for
from ..remote_selectors import RemoteTerms, remote_terms_for
from ..selectors import benefit_policy_for, claim_aid_ratio, critical_terms, outpatient_pot_for, pooled_terms
from .accounts import account_for_use
from .institutions import institution_accepts, institution_elsewhere

# The accumulator fields a policy line's benefit type counts against. Hospital outpatient visits and
# designated-pharmacy purchases are channels of one 普通门诊统筹 pot with one deductible and one cap (001:
# "将符合条件的定点零售药店提供的用药保障服务纳入普通门诊统筹保障范围", "医保基金对不同的门诊共济保障方式不重复支付";
# 002: "2023年度居民医保支付限额一档参保人300元，二档参保人500元"), so both count against the outpatient
# fields; deductible_pharmacy and pooled_pharmacy stay 0 (migration 0012 merged the old amounts).
# The settlement's policy line decides, not its claim type: a chronic disease settled "like inpatient"
# counts against the inpatient cap.
YEARLY_DEDUCTIBLE = {
    BenefitType.OUTPATIENT: "deductible_outpatient",
    BenefitType.CHRONIC: "deductible_chronic",
    BenefitType.PHARMACY: "deductible_outpatient",
}
POOLED = {
    BenefitType.OUTPATIENT: "pooled_outpatient",
    BenefitType.CHRONIC: "pooled_chronic",
    BenefitType.INPATIENT: "pooled_inpatient",
    BenefitType.PHARMACY: "pooled_outpatient",
}


class SettlementConflict(ValidationError):
    """The settlement number was used before for a different request (API: 409)."""

    conflict = True


@dataclass(frozen=True)
class SettlementRequest:
    """What an institution (or staff, for 零星报销) sends. Amounts are yuan with at most 2 decimals."""

    settlement_number: str
    id_number: str
    benefit_type: str
    service_date: dt.date
    total_cost: Any
    eligible_cost: Any
    discharge_date: dt.date | None = None
    chronic_disease_code: str = ""
    diagnosis_code: str = ""  # ICD-10 main diagnosis, as the institution codes it
    use_account: bool = True
    account_holder_id_number: str = ""  # 家庭共济: whose account pays, when not the patient's own

    def fingerprint(self) -> str:
        fields = {k: str(v) for k, v in self.__dict__.items()}
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _money(field: str, value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "金额应为数字"}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({field: "金额不能为负数"})
    if amount != to_fen(amount):
        raise ValidationError({field: "金额最多保留两位小数（分）"})
    if amount >= Decimal("10000000000"):
        raise ValidationError({field: "金额超出范围"})
    return to_fen(amount)


def _person(id_number: str, field: str = "id_number") -> Person:
    try:
        number = validate_id_number(id_number)
    except InvalidValue as exc:
        raise ValidationError({field: str(exc)}) from None
    person = Person.objects.filter(id_number=number).first()
    if person is None:
        raise ValidationError({field: "该身份证号未参保"})
    return person


def _covering_enrollment(*, person: Person, on: dt.date) -> Enrollment:
    # First: once a death is recorded the enrollment ends that day, and "not enrolled" would hide why.
    if refusal := death_refusal(person=person, on=on):
        raise ValidationError({"service_date": refusal})
    enrollment = (
        Enrollment.objects.filter(person=person, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .exclude(status=Enrollment.Status.SUSPENDED)
        .order_by("-start_date")
        .first()
    )
    if enrollment is None:
        raise ValidationError({"service_date": "就诊日期不在参保期内"})
    return enrollment


def _check_entitled(*, person: Person, enrollment: Enrollment, on: dt.date) -> None:
    """In the benefit period, (residents) paid for the coverage year, and past the waiting period of a bill
    paid after the enrollment window (alive: `_covering_enrollment`)."""
    if enrollment.scheme != Scheme.RESIDENT:
        return
    year = coverage_year_for(category=enrollment.category, on=on, graduation_year=enrollment.graduation_year)
    start, end = benefit_period(
        category=enrollment.category, coverage_year=year, graduation_year=enrollment.graduation_year
    )
    if not start <= on <= end:
        raise ValidationError({"service_date": f"就诊日期不在待遇享受期（{start}至{end}）内"})
    paid = ContributionBill.objects.filter(person=person, coverage_year=year, status=ContributionBill.Status.PAID)
    if not paid.exists():
        raise ValidationError({"service_date": f"{year}年度居民医保未缴费，不享受待遇"})
    if refusal := cover_refusal(person_id=person.pk, scheme=enrollment.scheme, on=on, coverage_year=year):
        raise ValidationError({"service_date": refusal})


def _check_claim(
    *, request: SettlementRequest, institution: Institution, elsewhere: bool = False
) -> tuple[Decimal, Decimal]:
    if request.benefit_type not in BenefitType.values:
        raise ValidationError({"benefit_type": "待遇类型不正确"})
    if not (request.settlement_number or "").strip() or len(request.settlement_number) > 40:
        raise ValidationError({"settlement_number": "结算单号不能为空，且不超过40个字符"})
    total = _money("total_cost", request.total_cost)
    eligible = _money("eligible_cost", request.eligible_cost)
    if eligible > total:
        raise ValidationError({"eligible_cost": "政策范围内费用不能大于医疗总费用"})
    if request.service_date > timezone.localdate():
        raise ValidationError({"service_date": "就诊日期不能晚于今天"})
    if request.discharge_date and request.discharge_date < request.service_date:
        raise ValidationError({"discharge_date": "出院日期不能早于入院日期"})
    if request.benefit_type == BenefitType.INPATIENT and request.discharge_date is None:
        raise ValidationError({"discharge_date": "住院结算需填写出院日期"})
    is_pharmacy = institution.kind == Institution.Kind.PHARMACY
    if is_pharmacy != (request.benefit_type == BenefitType.PHARMACY):
        raise ValidationError({"benefit_type": "药店只能结算药店购药，医院不能结算药店购药"})
    if not elsewhere:  # an institution elsewhere is designated by its own area, not under our agreement
        institution_accepts(institution=institution, on=request.service_date)
    return total, eligible


_ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")


def _diagnosis(code: str) -> str:
    """ICD-10 main diagnosis (e.g. O80, N40.x): optional, but when given it must be well formed,
    since fund supervision's gender and age rules read it."""
    code = (code or "").strip().upper()
    if code and not _ICD10.match(code):
        raise ValidationError({"diagnosis_code": "主要诊断编码应为ICD-10格式，如 O80 或 N40.001"})
    return code


def _check_chronic(*, request: SettlementRequest, person: Person):
    if request.benefit_type != BenefitType.CHRONIC:
        return None
    if not (request.chronic_disease_code or "").strip():
        raise ValidationError({"chronic_disease_code": "门诊慢特病结算须选择慢特病病种"})
    registration = (
        ChronicRegistration.objects.filter(
            person=person,
            disease__code=(request.chronic_disease_code or "").strip(),
            disease__kind=DiseaseKind.CHRONIC,  # 高血压、糖尿病 are 两病 cover, not 门诊慢特病 (002)
            status=ChronicRegistration.Status.ACTIVE,
            valid_from__lte=request.service_date,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=request.service_date))
        .select_related("disease")
        .first()
    )
    if registration is None:
        raise ValidationError({"chronic_disease_code": "该参保人未登记此门诊慢特病，或不在待遇期内"})
    return registration.disease


def _locked_accumulator(*, person_id: int, year: int) -> AnnualAccumulator:
    # Insert-if-missing, then lock: two first settlements of a year cannot both create the row.
    AnnualAccumulator.objects.bulk_create([AnnualAccumulator(person_id=person_id, year=year)], ignore_conflicts=True)
    return AnnualAccumulator.objects.select_for_update().get(person_id=person_id, year=year)


def _year_to_date(acc: AnnualAccumulator, policy: BenefitPolicy, disease=None) -> calculator.YearToDate:
    """The year so far against this line's deductible and cap. 门诊慢特病: each disease has its own terms,
    so its own deductible and cap count only that disease's settlements of the year (read under the
    accumulator lock, so no parallel settlement of the person can slip in between)."""
    if policy.benefit_type == BenefitType.CHRONIC and disease is not None:
        used = Settlement.objects.filter(
            person_id=acc.person_id,
            year=acc.year,
            chronic_disease=disease,
            status=Settlement.Status.SETTLED,
            policy__benefit_type=BenefitType.CHRONIC,
        ).aggregate(deductible=Sum("deductible_applied"), pooled=Sum("pooled_paid"))
        deductible_met = used["deductible"] or calculator.ZERO
        pooled_paid = used["pooled"] or calculator.ZERO
    else:
        deductible_field = YEARLY_DEDUCTIBLE.get(policy.benefit_type)
        deductible_met = getattr(acc, deductible_field) if deductible_field else calculator.ZERO
        pooled_paid = getattr(acc, POOLED[policy.benefit_type])
    return calculator.YearToDate(
        deductible_met=deductible_met,
        pooled_paid=pooled_paid,
        critical_base=acc.critical_base,
        critical_paid=acc.critical_paid,
        aid_base=acc.aid_base,
        aid_paid=acc.aid_paid,
    )


def _apply_to_accumulator(acc: AnnualAccumulator, s: Settlement, policy: BenefitPolicy, sign: int) -> None:
    """Add (sign=1) or take back (sign=-1) one settlement's share of the year's totals."""
    deductible_field = YEARLY_DEDUCTIBLE.get(policy.benefit_type)
    if deductible_field and policy.deductible_per == BenefitPolicy.DeductiblePer.YEAR:
        setattr(acc, deductible_field, getattr(acc, deductible_field) + sign * s.deductible_applied)
    pooled_field = POOLED[policy.benefit_type]
    setattr(acc, pooled_field, getattr(acc, pooled_field) + sign * s.pooled_paid)
    acc.critical_base += sign * (s.eligible_cost - s.pooled_paid)
    acc.critical_paid += sign * s.critical_paid
    acc.aid_base += sign * (s.eligible_cost - s.pooled_paid - s.critical_paid)
    acc.aid_paid += sign * s.aid_paid
    acc.total_cost += sign * s.total_cost
    acc.out_of_pocket += sign * s.out_of_pocket
    acc.settlement_count += sign
    acc.save()


def _policy_for_claim(
    *, on: dt.date, enrollment: Enrollment, benefit_type: str, institution: Institution, disease
) -> tuple[BenefitPolicy, BenefitPolicy | None, str]:
    """(the line the settlement is made under, the outpatient pot's line or None, a note for the steps).

    门诊慢特病: the disease's own line, else the line for any disease; a disease marked like_inpatient
    settles on the inpatient line of the institution's level (001: "可参照住院待遇进行管理")."""
    who = {"year": on.year, "scheme": enrollment.scheme, "category": enrollment.category, "tier": enrollment.tier}
    try:
        policy = benefit_policy_for(
            **who,
            benefit_type=benefit_type,
            institution_level=institution.level,
            disease_code=disease.code if disease is not None else "",
        )
        note = ""
        if policy.like_inpatient:
            note = f"门诊慢特病“{disease.name}”参照住院待遇结算（渝府办发〔2022〕16号）"
            policy = benefit_policy_for(**who, benefit_type=BenefitType.INPATIENT, institution_level=institution.level)
        pot = None
        if policy.benefit_type in (BenefitType.OUTPATIENT, BenefitType.PHARMACY):
            pot = outpatient_pot_for(**who)
            if policy.benefit_type == BenefitType.PHARMACY:
                note = "定点零售药店购药纳入普通门诊统筹，与门诊共用起付标准和年度支付限额"
    except LookupError:
        raise ValidationError({"benefit_type": f"{on.year}年度没有适用的待遇清单"}) from None
    return policy, pot, note


def _existing(
    *,
    institution: Institution,
    request: SettlementRequest,
    actor: User | None = None,
    kind: str = Settlement.Kind.DIRECT,
) -> Settlement | None:
    number = (request.settlement_number or "").strip()  # stored stripped
    existing = Settlement.objects.filter(institution=institution, settlement_number=number).first()
    if existing is not None and kind == Settlement.Kind.MANUAL:
        # Staff see their own district's records only, not even as a replay or a conflict.
        require_edit_in_district(actor=actor, district_id=existing.district_id, field="id_number")
    if existing is not None and (existing.kind != kind or existing.request_fingerprint != request.fingerprint()):
        raise SettlementConflict({"settlement_number": f"结算单号 {request.settlement_number} 已用于另一笔结算"})
    return existing


def settlement_create(
    *,
    actor: User | None,
    institution: Institution,
    request: SettlementRequest,
    kind: str = Settlement.Kind.DIRECT,
    remote: Callable[[Person], RemoteTerms] | None = None,
) -> tuple[Settlement, bool]:
    """Settle one claim. Returns (settlement, created); the same request again returns the first result.

    Direct settlements come from the institution's own system account; 零星报销 (manual) from staff
    with edit rights in the patient's district, never through the personal account (already paid in cash).
    Care outside the city (`remote`: the person -> the terms of their filing) settles under our policy with
    the rule's reduction ("参保地政策"); its direct settlements come from the cross-region platform's account.
    """
    if actor is None:
        pass  # the system itself (demo data, replays by operators)
    elif remote is not None and kind == Settlement.Kind.DIRECT:
        require_capability(actor, Capability.REMOTE_SETTLE)
    elif kind == Settlement.Kind.DIRECT:
        require_capability(actor, Capability.SETTLE)
        if actor.institution_id != institution.pk:
            raise PermissionDenied("只能以本机构名义结算")
    else:
        require_capability(actor, Capability.EDIT)
    existing = _existing(institution=institution, request=request, actor=actor, kind=kind)
    if existing is not None:
        return existing, False
    try:
        return _settle(actor=actor, institution=institution, request=request, kind=kind, remote=remote)
    except IntegrityError:
        # The same number raced in from a parallel request for another person: the first one won.
        existing = _existing(institution=institution, request=request, actor=actor, kind=kind)
        if existing is None and remote is not None:
            # The platform's number raced in at another institution (one_platform_number): not a retry.
            raise SettlementConflict(
                {"settlement_number": f"平台结算流水号 {request.settlement_number} 已用于另一笔结算"}
            ) from None
        if existing is None:
            raise
        return existing, False


@transaction.atomic
def _settle(
    *,
    actor: User | None,
    institution: Institution,
    request: SettlementRequest,
    kind: str,
    remote: Callable[[Person], RemoteTerms] | None = None,
) -> tuple[Settlement, bool]:
    total, eligible = _check_claim(request=request, institution=institution, elsewhere=remote is not None)
    # A D credit rating holds the institution's settlements for review (audit's credit consequences).
    if reason := institution_settlement_hold(institution=institution, on=timezone.localdate()):
        raise ValidationError({"institution": reason})
    person = _person(request.id_number)
    on = request.service_date
    enrollment = _covering_enrollment(person=person, on=on)
    if kind == Settlement.Kind.MANUAL:
        require_edit_in_district(actor=actor, district_id=enrollment.district_id, field="id_number")
    _check_entitled(person=person, enrollment=enrollment, on=on)
    terms = remote(person) if remote is not None else None
    disease = _check_chronic(request=request, person=person)
    policy, pot, note = _policy_for_claim(
        on=on, enrollment=enrollment, benefit_type=request.benefit_type, institution=institution, disease=disease
    )
    # Third tier: the person's aid category on the day (assistance app) gives the tilt and the aid terms;
    # the claim type's aid ratio (policy file `medical_aid`) may replace the category's (pharmacy: none).
    aid_category, tilt, aid = aid_settlement_terms(person_id=person.pk, on=on)
    aid = aid_terms_for_claim(aid, claim_ratio=claim_aid_ratio(year=on.year, benefit_type=request.benefit_type))
    aid_recipient = aid_category is not None

    acc = _locked_accumulator(person_id=person.pk, year=on.year)
    # A parallel identical request waited on the lock above and now sees the first one's row: a replay.
    existing = _existing(institution=institution, request=request, actor=actor, kind=kind)
    if existing is not None:
        return existing, False
    account = None
    if request.account_holder_id_number:
        if kind != Settlement.Kind.DIRECT or terms is not None:
            raise ValidationError({"account_holder_id_number": "零星报销和异地就医结算不使用个人账户"})
        account = account_for_use(patient=person, holder_id_number=request.account_holder_id_number)
    elif (
        kind == Settlement.Kind.DIRECT
        and terms is None  # outside the city the account part is paid in cash (clearing covers the funds only)
        and request.use_account
        and enrollment.scheme == Scheme.EMPLOYEE
    ):
        account = account_for_use(patient=person, holder_id_number="")
    pooled = pooled_terms(policy, pot)
    if terms is not None and terms.reduction:
        pooled = dataclasses.replace(pooled, ratio=max(calculator.ZERO, pooled.ratio - terms.reduction))
    result = calculator.settle(
        claim=calculator.Claim(
            total_cost=total,
            eligible_cost=eligible,
            aid_recipient=aid is not None,
            tilt=tilt,
            account_balance=account.balance if account else calculator.ZERO,
        ),
        pooled=pooled,
        ytd=_year_to_date(acc, policy, disease),
        critical=critical_terms(year=on.year, scheme=enrollment.scheme),
        aid=aid,
    )
    settlement = Settlement.objects.create(
        institution=institution,
        settlement_number=request.settlement_number.strip(),
        kind=kind,
        person=person,
        enrollment=enrollment,
        district_id=enrollment.district_id,
        scheme=enrollment.scheme,
        benefit_type=request.benefit_type,
        institution_level=institution.level,
        chronic_disease=disease,
        diagnosis_code=_diagnosis(request.diagnosis_code),
        service_date=on,
        discharge_date=request.discharge_date,
        year=on.year,
        total_cost=total,
        eligible_cost=eligible,
        deductible_applied=result.deductible_applied,
        pooled_paid=result.pooled_paid,
        critical_paid=result.critical_paid,
        aid_paid=result.aid_paid,
        account_paid=result.account_paid,
        out_of_pocket=result.out_of_pocket,
        aid_recipient=aid_recipient,
        account=account if result.account_paid else None,
        policy=policy,
        steps=[n for n in (terms.note if terms else "", note) if n] + list(result.steps),
        request_fingerprint=request.fingerprint(),
        settled_at=timezone.now(),
        created_by=acting_user(actor),
        **(_remote_fields(terms) if terms is not None else {}),
    )
    _apply_to_accumulator(acc, settlement, policy, sign=1)
    if result.account_paid:
        _account_post(
            account=account,
            amount=-result.account_paid,
            kind=AccountEntry.Kind.SETTLEMENT,
            settlement=settlement,
            actor=actor,
        )
    event_post(source="settlement", record_id=settlement.pk, actor=actor)
    audit_event_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=settlement, new_values=snapshot(settlement, fields=AUDITED)
    )
    return settlement, True


def _remote_fields(terms: RemoteTerms) -> dict[str, Any]:
    return {
        "care_area_code": terms.care_area_code,
        "filing": terms.filing,
        "remote_rule": terms.rule,
        "ratio_reduction": terms.reduction,
        "platform_number": terms.platform_number,
    }


AUDITED = [
    "settlement_number",
    "kind",
    "benefit_type",
    "service_date",
    "total_cost",
    "eligible_cost",
    "pooled_paid",
    "critical_paid",
    "aid_paid",
    "account_paid",
    "out_of_pocket",
    "status",
    "care_area_code",
    "remote_rule",
]


def _account_post(
    *, account: PersonalAccount, amount: Decimal, kind: str, settlement: Settlement, actor: User | None
) -> None:
    """Move the (already locked) account's balance and write the ledger line in one step."""
    account.balance += amount
    account.save(update_fields=["balance", "updated_at"])
    AccountEntry.objects.create(
        account=account,
        kind=kind,
        purpose=AccountEntry.Purpose.MEDICAL,
        amount=amount,
        balance_after=account.balance,
        settlement=settlement,
        beneficiary_id=settlement.person_id,
        created_by=acting_user(actor),
    )


@transaction.atomic
def settlement_reverse(*, actor: User | None, settlement: Settlement, reason: str) -> tuple[Settlement, bool]:
    """冲正: undo a settlement. The year's totals and the personal account get back exactly its share;
    reversing twice changes nothing the second time."""
    user = acting_user(actor)
    if actor is None:
        pass
    elif user is not None and user.has_capability(Capability.SETTLE):
        if settlement.institution_id != user.institution_id or settlement.kind != Settlement.Kind.DIRECT:
            raise PermissionDenied("只能冲正本机构的联网结算")
    elif user is not None and user.has_capability(Capability.REMOTE_SETTLE):
        # The cross-region platform reverses the outbound direct settlements it sent, and nothing else.
        if settlement.platform_number == "" or settlement.kind != Settlement.Kind.DIRECT:
            raise PermissionDenied("跨区域结算平台只能冲正本平台发来的异地联网结算")
    else:
        require_capability(actor, Capability.REVIEW)
        require_edit_in_district(actor=actor, district_id=settlement.district_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写冲正原因"})
    acc = _locked_accumulator(person_id=settlement.person_id, year=settlement.year)
    settlement = Settlement.objects.select_for_update().select_related("policy").get(pk=settlement.pk)
    if settlement.status == Settlement.Status.REVERSED:
        return settlement, False
    _apply_to_accumulator(acc, settlement, settlement.policy, sign=-1)
    if settlement.account_paid:
        account = PersonalAccount.objects.select_for_update().get(pk=settlement.account_id)
        _account_post(
            account=account,
            amount=settlement.account_paid,
            kind=AccountEntry.Kind.REVERSAL,
            settlement=settlement,
            actor=actor,
        )
    settlement.status = Settlement.Status.REVERSED
    settlement.reversed_at = timezone.now()
    settlement.reversed_by = user
    settlement.reversal_reason = reason[:200]
    settlement.save(update_fields=["status", "reversed_at", "reversed_by", "reversal_reason", "updated_at"])
    event_post(source="reversal", record_id=settlement.pk, actor=actor, memo=settlement.reversal_reason)
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=settlement,
        old_values={"status": Settlement.Status.SETTLED},
        new_values={"status": Settlement.Status.REVERSED, "reason": settlement.reversal_reason},
    )
    return settlement, True


@transaction.atomic
def settlement_manual_elsewhere(
    *,
    actor: User | None,
    request: SettlementRequest,
    care_area_code: str,
    institution_code: str,
    institution_name: str,
    institution_level: int,
) -> tuple[Settlement, bool]:
    """零星报销 of care outside the city: the filing status on the day decides the reduction. One transaction,
    so a refused claim leaves no record of the institution elsewhere behind."""
    institution = institution_elsewhere(
        code=institution_code,
        name=institution_name,
        level=institution_level,
        area_code=care_area_code,
        on=request.service_date,
    )
    return settlement_create(
        actor=actor,
        institution=institution,
        request=request,
        kind=Settlement.Kind.MANUAL,
        remote=lambda person: remote_terms_for(
            person_id=person.pk, on=request.service_date, care_area_code=care_area_code
        ),
    )
