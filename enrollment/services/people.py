"""Writes on people, employers, enrollments and transfers."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from core.access import district_in_scope, require_capability
from core.models import AuditEvent, District, User
from core.money import to_fen
from core.roles import Capability
from core.scope import require_edit_in_district
from core.services import (
    acting_user,
    audit_event_record,
    changed_values,
    snapshot,
)
from enrollment.models import (
    SCHEME_CATEGORIES,
    Employer,
    Enrollment,
    Person,
    Scheme,
    Transfer,
)

from ..validators import (
    InvalidValue,
    id_birth_date,
    id_gender,
    validate_credit_code,
    validate_id_number,
    validate_person_name,
    validate_phone,
)

PERSON_FIELDS = ["name", "phone", "district_id", "death_date", "death_source_document"]
ENROLLMENT_FIELDS = [
    "category", "tier", "employer_id", "contribution_base", "graduation_year", "status", "end_date", "end_reason",
]  # fmt: skip


def _invalid(field: str, exc: InvalidValue) -> ValidationError:
    return ValidationError({field: str(exc)})


def _clean_name(name: str) -> str:
    """One rule on every path (forms, API, service callers): the name as stored, or a field error."""
    try:
        return validate_person_name(name)
    except InvalidValue as exc:
        raise ValidationError({"name": str(exc)}) from None


@transaction.atomic
def employer_register(*, actor: User | None, credit_code: str, name: str, district_id: int) -> Employer:
    require_edit_in_district(actor=actor, district_id=district_id)
    try:
        code = validate_credit_code(credit_code)
    except InvalidValue as exc:
        raise _invalid("credit_code", exc) from None
    if not (name or "").strip():
        raise ValidationError({"name": "单位名称不能为空"})
    if Employer.objects.filter(credit_code=code).exists():
        raise ValidationError({"credit_code": "该统一社会信用代码已登记"})
    employer = Employer.objects.create(credit_code=code, name=name.strip(), district_id=district_id)
    audit_event_record(actor=actor, action=AuditEvent.Action.CREATE, obj=employer, new_values=snapshot(employer))
    return employer


@transaction.atomic
def person_register(*, actor: User | None, id_number: str, name: str, district_id: int, phone: str = "") -> Person:
    """Register a new insured person; gender and birth date come from the ID number."""
    require_edit_in_district(actor=actor, district_id=district_id)
    try:
        number = validate_id_number(id_number)
    except InvalidValue as exc:
        raise _invalid("id_number", exc) from None
    try:
        phone = validate_phone(phone)
    except InvalidValue as exc:
        raise _invalid("phone", exc) from None
    if Person.objects.filter(id_number=number).exists():
        raise ValidationError({"id_number": "该身份证号已登记"})
    person = Person.objects.create(
        id_number=number,
        name=_clean_name(name),
        gender=id_gender(number),
        birth_date=id_birth_date(number),
        phone=phone,
        district_id=district_id,
    )
    audit_event_record(actor=actor, action=AuditEvent.Action.CREATE, obj=person, new_values=snapshot(person))
    return person


@transaction.atomic
def person_update(*, actor: User | None, person: Person, name: str, phone: str) -> Person:
    require_edit_in_district(actor=actor, district_id=person.district_id)
    person = Person.objects.select_for_update().get(pk=person.pk)
    old = snapshot(person, fields=PERSON_FIELDS)
    try:
        person.phone = validate_phone(phone)
    except InvalidValue as exc:
        raise _invalid("phone", exc) from None
    person.name = _clean_name(name)
    person.save(update_fields=["name", "phone", "updated_at"])
    old_changed, new_changed = changed_values(old, snapshot(person, fields=PERSON_FIELDS))
    if new_changed:
        audit_event_record(
            actor=actor, action=AuditEvent.Action.UPDATE, obj=person, old_values=old_changed, new_values=new_changed
        )
    return person


def _clean_graduation_year(*, category: str, graduation_year: Any) -> int | None:
    """Students only: the year of graduation, when their benefit period runs on to 31 Dec."""
    if graduation_year in (None, ""):
        return None
    if category != "student":
        raise ValidationError({"graduation_year": "只有在校大学生填写毕业年份"})
    try:
        year = int(graduation_year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise ValidationError({"graduation_year": "毕业年份应为四位年份"})
    return year


def _clean_enrollment_terms(
    *, scheme: str, category: str, tier: Any, employer_id: int | None, contribution_base: Any
) -> tuple[int | None, int | None, Decimal | None]:
    """The scheme rules, with one Chinese message per wrong field."""
    errors: dict[str, str] = {}
    if scheme not in SCHEME_CATEGORIES:
        raise ValidationError({"scheme": "险种应为职工医保或居民医保"})
    if category not in SCHEME_CATEGORIES[scheme]:
        errors["category"] = "人员类别与险种不符"
    base: Decimal | None = None
    if scheme == Scheme.RESIDENT:
        try:
            tier = int(tier)
        except (TypeError, ValueError):
            tier = None
        if tier not in (1, 2):
            errors["tier"] = "居民医保须选择一档或二档"
        if employer_id:
            errors["employer"] = "居民医保不登记参保单位"
        if contribution_base not in (None, ""):
            errors["contribution_base"] = "居民医保不填写缴费基数"
    else:
        if tier not in (None, ""):
            errors["tier"] = "职工医保不分档次"
        tier = None
        if category == "active" and not employer_id:
            errors["employer"] = "在职职工须登记参保单位"
        try:
            base = to_fen(Decimal(str(contribution_base)))
            if base <= 0:
                raise InvalidOperation
        except (InvalidOperation, TypeError, ValueError):
            errors["contribution_base"] = "职工医保须填写大于0的缴费基数"
    if errors:
        raise ValidationError(errors)
    return tier, employer_id or None, base


@transaction.atomic
def enrollment_register(
    *,
    actor: User | None,
    person: Person,
    scheme: str,
    category: str,
    district_id: int,
    start_date: dt.date,
    tier: Any = None,
    employer_id: int | None = None,
    contribution_base: Any = None,
    graduation_year: Any = None,
) -> Enrollment:
    require_edit_in_district(actor=actor, district_id=district_id)
    tier, employer_id, base = _clean_enrollment_terms(
        scheme=scheme, category=category, tier=tier, employer_id=employer_id, contribution_base=contribution_base
    )
    graduation_year = _clean_graduation_year(category=category, graduation_year=graduation_year)
    if employer_id and not Employer.objects.filter(pk=employer_id).exists():
        raise ValidationError({"employer": "参保单位未登记"})
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.death_date and start_date > person.death_date:
        raise ValidationError({"start_date": "参保开始日期晚于死亡日期"})
    active = Enrollment.objects.filter(person=person, status=Enrollment.Status.ACTIVE).first()
    if active is not None:
        raise ValidationError(
            {"scheme": f"重复参保：该人员已有有效参保登记（{active.get_scheme_display()}，自{active.start_date}起）"}
        )
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                person=person,
                scheme=scheme,
                category=category,
                tier=tier,
                district_id=district_id,
                employer_id=employer_id,
                contribution_base=base,
                start_date=start_date,
                graduation_year=graduation_year,
            )
    except IntegrityError:
        # Another request enrolled the same person a moment ago: the partial unique index said no.
        raise ValidationError({"scheme": "重复参保：该人员已有有效参保登记"}) from None
    audit_event_record(actor=actor, action=AuditEvent.Action.CREATE, obj=enrollment, new_values=snapshot(enrollment))
    return enrollment


@transaction.atomic
def enrollment_update(
    *,
    actor: User | None,
    enrollment: Enrollment,
    category: str,
    tier: Any,
    employer_id: int | None,
    contribution_base: Any,
    graduation_year: Any = None,
) -> Enrollment:
    require_edit_in_district(actor=actor, district_id=enrollment.district_id)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ValidationError({"status": "只能修改有效的参保登记"})
    tier, employer_id, base = _clean_enrollment_terms(
        scheme=enrollment.scheme,
        category=category,
        tier=tier,
        employer_id=employer_id,
        contribution_base=contribution_base,
    )
    graduation_year = _clean_graduation_year(category=category, graduation_year=graduation_year)
    old = snapshot(enrollment, fields=ENROLLMENT_FIELDS)
    enrollment.category, enrollment.tier, enrollment.employer_id, enrollment.contribution_base = (
        category,
        tier,
        employer_id,
        base,
    )
    enrollment.graduation_year = graduation_year
    enrollment.save(
        update_fields=["category", "tier", "employer_id", "contribution_base", "graduation_year", "updated_at"]
    )
    old_changed, new_changed = changed_values(old, snapshot(enrollment, fields=ENROLLMENT_FIELDS))
    if new_changed:
        audit_event_record(
            actor=actor, action=AuditEvent.Action.UPDATE, obj=enrollment, old_values=old_changed, new_values=new_changed
        )
    return enrollment


# Enrollment status moves; terminated is final (a new enrollment starts a new period).
ENROLLMENT_TRANSITIONS = {
    Enrollment.Status.ACTIVE: {Enrollment.Status.SUSPENDED, Enrollment.Status.TERMINATED},
    Enrollment.Status.SUSPENDED: {Enrollment.Status.ACTIVE, Enrollment.Status.TERMINATED},
    Enrollment.Status.TERMINATED: set(),
}


def _enrollment_set_status(
    *, actor: User | None, enrollment: Enrollment, status: str, end_date: dt.date | None, end_reason: str = ""
) -> Enrollment:
    if status not in ENROLLMENT_TRANSITIONS[enrollment.status]:
        raise ValidationError(
            {"status": f"参保状态不能从“{enrollment.get_status_display()}”变为“{Enrollment.Status(status).label}”"}
        )
    if end_date is not None and end_date < enrollment.start_date:
        raise ValidationError({"end_date": "终止日期不能早于参保开始日期"})
    old = snapshot(enrollment, fields=ENROLLMENT_FIELDS)
    enrollment.status, enrollment.end_date, enrollment.end_reason = status, end_date, end_reason
    enrollment.save(update_fields=["status", "end_date", "end_reason", "updated_at"])
    old_changed, new_changed = changed_values(old, snapshot(enrollment, fields=ENROLLMENT_FIELDS))
    audit_event_record(
        actor=actor, action=AuditEvent.Action.STATUS, obj=enrollment, old_values=old_changed, new_values=new_changed
    )
    return enrollment


@transaction.atomic
def enrollment_terminate(
    *,
    actor: User | None,
    enrollment: Enrollment,
    end_date: dt.date,
    reason: str,
    death_date: dt.date | None = None,
    death_source_document: str = "",
) -> Enrollment:
    """End an enrollment. Reason 死亡 is a death registration: it needs the death date (the end date) and
    the document, records them on the person and ends every open enrollment as of that day."""
    require_edit_in_district(actor=actor, district_id=enrollment.district_id)
    if reason not in Enrollment.EndReason.values:
        raise ValidationError({"reason": "请选择终止原因"})
    if end_date is None:
        raise ValidationError({"end_date": "请填写终止日期"})
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if reason != Enrollment.EndReason.DECEASED:
        return _enrollment_set_status(
            actor=actor,
            enrollment=enrollment,
            status=Enrollment.Status.TERMINATED,
            end_date=end_date,
            end_reason=reason,
        )
    if death_date is None:
        raise ValidationError({"death_date": "终止原因为死亡时须填写死亡日期"})
    if end_date != death_date:
        raise ValidationError({"end_date": "终止原因为死亡时，终止日期应为死亡日期"})
    if Enrollment.Status.TERMINATED not in ENROLLMENT_TRANSITIONS[enrollment.status]:
        raise ValidationError({"status": f"参保状态“{enrollment.get_status_display()}”不能终止"})
    person_death_record(
        actor=actor, person=enrollment.person, death_date=death_date, source_document=death_source_document
    )
    return Enrollment.objects.get(pk=enrollment.pk)


def _clean_death(*, person: Person, death_date: dt.date | None, source_document: str) -> str:
    if death_date is None:
        raise ValidationError({"death_date": "请填写死亡日期"})
    if death_date > timezone.localdate():
        raise ValidationError({"death_date": "死亡日期不能晚于今天"})
    if death_date < person.birth_date:
        raise ValidationError({"death_date": "死亡日期不能早于出生日期"})
    document = (source_document or "").strip()
    if not document:
        raise ValidationError({"source_document": "请填写死亡证明材料（如死亡医学证明编号、户籍注销证明）"})
    if len(document) > 200 or not document.isprintable():
        raise ValidationError({"source_document": "死亡证明材料不超过200个字符，且不能含有控制字符"})
    return document


@transaction.atomic
def person_death_record(*, actor: User | None, person: Person, death_date: dt.date, source_document: str) -> Person:
    """Record a death: the date and the document it comes from on the person, and every open (active or
    suspended) enrollment ends as of that day with reason 死亡, so no benefit is paid for later care and the
    fund-supervision scan can flag settlements after it (冒名就医). Recording the same date again changes
    nothing but end an enrollment still open; a different date is refused (a correction is a separate,
    reviewed matter)."""
    require_edit_in_district(actor=actor, district_id=person.district_id)
    person = Person.objects.select_for_update().get(pk=person.pk)
    document = _clean_death(person=person, death_date=death_date, source_document=source_document)
    if person.death_date is not None and person.death_date != death_date:
        raise ValidationError({"death_date": f"该参保人已登记死亡（死亡日期{person.death_date:%Y-%m-%d}）"})
    open_enrollments = list(
        Enrollment.objects.select_for_update()
        .filter(person=person, status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.SUSPENDED])
        .order_by("pk")
    )
    for enrollment in open_enrollments:
        if enrollment.start_date > death_date:
            started = f"{enrollment.start_date:%Y-%m-%d}"
            raise ValidationError({"death_date": f"该参保人有晚于死亡日期开始的参保登记（自{started}起），请先核实"})
    if person.death_date is None:
        old = snapshot(person, fields=PERSON_FIELDS)
        person.death_date, person.death_source_document = death_date, document
        person.save(update_fields=["death_date", "death_source_document", "updated_at"])
        old_changed, new_changed = changed_values(old, snapshot(person, fields=PERSON_FIELDS))
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=person,
            old_values=old_changed,
            new_values=new_changed,
            note="死亡登记",
        )
    for enrollment in open_enrollments:
        _enrollment_set_status(
            actor=actor,
            enrollment=enrollment,
            status=Enrollment.Status.TERMINATED,
            end_date=death_date,
            end_reason=Enrollment.EndReason.DECEASED,
        )
    return person


def death_refusal(*, person: Person, on: dt.date) -> str | None:
    """Why no benefit is paid for care on `on`: the insured person had died before it (the death date
    itself is still covered)."""
    if person.death_date is not None and on > person.death_date:
        return f"就诊日期晚于参保人死亡日期（{person.death_date:%Y-%m-%d}），不享受医保待遇"
    return None


@transaction.atomic
def enrollment_transfer(
    *, actor: User | None, enrollment: Enrollment, to_district_id: int, transfer_date: dt.date
) -> Transfer:
    """转移接续: end the old enrollment the day before `transfer_date`, open the new one on it.

    Both happen in one transaction, so coverage has neither a gap nor an overlap.
    The source district does the transfer; the person then belongs to the target district.
    """
    require_edit_in_district(actor=actor, district_id=enrollment.district_id)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ValidationError({"status": "只能转移有效的参保登记"})
    if to_district_id == enrollment.district_id:
        raise ValidationError({"to_district": "转入区县与当前区县相同"})
    if not District.objects.filter(pk=to_district_id).exists():
        raise ValidationError({"to_district": "转入区县不存在"})
    if transfer_date <= enrollment.start_date:
        raise ValidationError({"transfer_date": "转入日期须晚于原参保开始日期"})
    _enrollment_set_status(
        actor=actor,
        enrollment=enrollment,
        status=Enrollment.Status.TERMINATED,
        end_date=transfer_date - dt.timedelta(days=1),
        end_reason=Enrollment.EndReason.TRANSFERRED,
    )
    new = Enrollment.objects.create(
        person_id=enrollment.person_id,
        scheme=enrollment.scheme,
        category=enrollment.category,
        tier=enrollment.tier,
        district_id=to_district_id,
        employer_id=enrollment.employer_id,
        contribution_base=enrollment.contribution_base,
        start_date=transfer_date,
    )
    person = Person.objects.select_for_update().get(pk=enrollment.person_id)
    old_district = person.district_id
    person.district_id = to_district_id
    person.save(update_fields=["district_id", "updated_at"])
    transfer = Transfer.objects.create(
        person=person,
        from_enrollment=enrollment,
        to_enrollment=new,
        from_district_id=enrollment.district_id,
        to_district_id=to_district_id,
        transfer_date=transfer_date,
        created_by=acting_user(actor),
    )
    audit_event_record(actor=actor, action=AuditEvent.Action.CREATE, obj=new, new_values=snapshot(new))
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=person,
        district_id=old_district,
        old_values={"district_id": old_district},
        new_values={"district_id": to_district_id},
        note=f"转移接续 #{transfer.pk}",
    )
    return transfer


@transaction.atomic
def person_reveal_id_number(*, actor: User | None, person: Person) -> str:
    """The full ID number, for staff allowed to see it; every look is in the audit trail."""
    require_capability(actor, Capability.UNMASK)
    if not district_in_scope(user=actor, district_id=person.district_id):
        raise Http404("记录不存在或不在您的管辖范围内。")
    audit_event_record(actor=actor, action=AuditEvent.Action.VIEW_SENSITIVE, obj=person, note="查看完整身份证号")
    return person.id_number
