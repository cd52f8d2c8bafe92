"""Writes on designated institutions (定点医药机构) and chronic-disease registrations."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, District, User
from core.scope import require_edit_in_district
from core.services import (
    acting_user,
    audit_event_record,
    changed_values,
    snapshot,
)
from enrollment.models import Person

from ..models import ChronicDisease, ChronicRegistration, Institution

INSTITUTION_FIELDS = ["name", "level", "agreement_status", "agreement_start", "agreement_end"]
_CODE = re.compile(r"^[HP][0-9]{11}$")


def institution_code_check(*, code: str, kind: str, district: District) -> str:
    """H/P + the district's 6-digit code + a 5-digit sequence; the letter must match the kind."""
    code = (code or "").strip().upper()
    if not _CODE.match(code):
        raise ValidationError({"code": "机构编码应为12位：H（医院）或P（药店）+ 6位区县代码 + 5位顺序号"})
    if code[0] != ("H" if kind == Institution.Kind.HOSPITAL else "P"):
        raise ValidationError({"code": "机构编码首字母与机构类型不符：医院为H，药店为P"})
    if code[1:7] != district.code:
        raise ValidationError({"code": f"机构编码第2-7位应为所在区县代码 {district.code}"})
    return code


def _next_code(*, kind: str, district: District) -> str:
    prefix = ("H" if kind == Institution.Kind.HOSPITAL else "P") + district.code
    last = (
        Institution.objects.select_for_update()
        .filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    return f"{prefix}{int(last[7:]) + 1 if last else 1:05d}"


def _clean_level(*, kind: str, level: int | None) -> int:
    if kind == Institution.Kind.PHARMACY:
        return 0
    if level not in (1, 2, 3):
        raise ValidationError({"level": "医院等级应为一级、二级或三级"})
    return level


@transaction.atomic
def institution_register(
    *,
    actor: User | None,
    name: str,
    kind: str,
    level: int | None,
    district_id: int,
    agreement_start: dt.date,
    agreement_end: dt.date | None = None,
    code: str = "",
) -> Institution:
    """Register an institution; without a code, the next sequence number of its district is taken."""
    require_edit_in_district(actor=actor, district_id=district_id)
    if kind not in Institution.Kind.values:
        raise ValidationError({"kind": "机构类型应为定点医疗机构或定点零售药店"})
    if not (name or "").strip():
        raise ValidationError({"name": "机构名称不能为空"})
    if agreement_end and agreement_end < agreement_start:
        raise ValidationError({"agreement_end": "协议截止日期不能早于开始日期"})
    district = District.objects.get(pk=district_id)
    code = (
        institution_code_check(code=code, kind=kind, district=district)
        if code
        else _next_code(kind=kind, district=district)
    )
    if Institution.objects.filter(code=code).exists():
        raise ValidationError({"code": f"机构编码 {code} 已登记"})
    institution = Institution(
        code=code,
        name=name.strip(),
        kind=kind,
        level=_clean_level(kind=kind, level=level),
        district=district,
        agreement_start=agreement_start,
        agreement_end=agreement_end,
    )
    institution.save()
    audit_event_record(actor=actor, action=AuditEvent.Action.CREATE, obj=institution, new_values=snapshot(institution))
    return institution


@transaction.atomic
def institution_update(
    *,
    actor: User | None,
    institution: Institution,
    name: str,
    level: int | None,
    agreement_status: str,
    agreement_start: dt.date,
    agreement_end: dt.date | None,
) -> Institution:
    """Change name, level or agreement (暂停结算 / 解除协议 stops new settlements at once)."""
    require_edit_in_district(actor=actor, district_id=institution.district_id)
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    if agreement_status not in Institution.AgreementStatus.values:
        raise ValidationError({"agreement_status": "协议状态不正确"})
    if agreement_end and agreement_end < agreement_start:
        raise ValidationError({"agreement_end": "协议截止日期不能早于开始日期"})
    if not (name or "").strip():
        raise ValidationError({"name": "机构名称不能为空"})
    before = snapshot(institution, fields=INSTITUTION_FIELDS)
    institution.name = name.strip()
    institution.level = _clean_level(kind=institution.kind, level=level)
    institution.agreement_status = agreement_status
    institution.agreement_start = agreement_start
    institution.agreement_end = agreement_end
    old, new = changed_values(before, snapshot(institution, fields=INSTITUTION_FIELDS))
    if new:
        institution.save()
        audit_event_record(
            actor=actor, action=AuditEvent.Action.UPDATE, obj=institution, old_values=old, new_values=new
        )
    return institution


def institution_accepts(*, institution: Institution, on: dt.date) -> None:
    """Only an institution under a valid agreement on the day of care may settle."""
    if institution.agreement_status != Institution.AgreementStatus.ACTIVE:
        raise ValidationError(
            {"institution": f"{institution.name} 协议状态为{institution.get_agreement_status_display()}，不能结算"}
        )
    if on < institution.agreement_start or (institution.agreement_end and on > institution.agreement_end):
        raise ValidationError({"service_date": f"就诊日期不在 {institution.name} 的协议期内"})


@transaction.atomic
def chronic_registration_create(
    *,
    actor: User | None,
    person: Person,
    disease_code: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    certified_by: str = "",
) -> ChronicRegistration:
    """门诊慢特病登记 for one person and disease; one active registration per disease."""
    require_edit_in_district(actor=actor, district_id=person.district_id)
    disease = ChronicDisease.objects.filter(code=(disease_code or "").strip(), active=True).first()
    if disease is None:
        raise ValidationError({"disease": "病种不在门诊慢特病目录中"})
    if valid_to and valid_to < valid_from:
        raise ValidationError({"valid_to": "待遇截止日期不能早于开始日期"})
    if not person.enrollments.filter(status="active").exists():
        raise ValidationError({"person": "该参保人没有有效的参保登记"})
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if ChronicRegistration.objects.filter(
        person=person, disease=disease, status=ChronicRegistration.Status.ACTIVE
    ).exists():
        raise ValidationError({"disease": f"该参保人已登记{disease.name}，无需重复登记"})
    registration = ChronicRegistration.objects.create(
        person=person,
        disease=disease,
        district_id=person.district_id,
        valid_from=valid_from,
        valid_to=valid_to,
        certified_by=certified_by.strip(),
        created_by=acting_user(actor),
    )
    audit_event_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=registration, new_values=snapshot(registration)
    )
    return registration


@transaction.atomic
def chronic_registration_revoke(
    *, actor: User | None, registration: ChronicRegistration, end_date: dt.date | None = None
) -> ChronicRegistration:
    require_edit_in_district(actor=actor, district_id=registration.district_id)
    registration = ChronicRegistration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == ChronicRegistration.Status.REVOKED:
        return registration
    end_date = end_date or timezone.localdate()
    if end_date < registration.valid_from:
        raise ValidationError({"valid_to": "撤销日期不能早于待遇开始日期"})
    before = snapshot(registration, fields=["status", "valid_to"])
    registration.status = ChronicRegistration.Status.REVOKED
    registration.valid_to = end_date
    registration.save(update_fields=["status", "valid_to", "updated_at"])
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=registration,
        old_values=before,
        new_values=snapshot(registration, fields=["status", "valid_to"]),
    )
    return registration


def institution_elsewhere(*, code: str, name: str, level: int, area_code: str, on: dt.date) -> Institution:
    """The record of an institution outside the city (a 异地就医 settlement or reimbursement names it by its
    national code: H/P + its area's 6-digit code + 5 digits). Created on first sight, never under our
    agreement; a known code of ours is refused (care in the city is not 异地就医)."""
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if not _CODE.match(code):
        said = "就医机构编码应为12位国家医保定点机构代码：H（医院）或P（药店）+ 6位地区代码 + 5位顺序号"
        raise ValidationError({"institution_code": said})
    ours = Institution.objects.filter(code=code, area_code="").first()
    if ours is not None:
        raise ValidationError({"institution_code": f"{ours.name} 是本市定点机构，市内就医不属于异地就医"})
    if code[1:3] != area_code[:2]:
        raise ValidationError({"institution_code": f"就医机构编码第2-3位（省级代码）应与就医地 {area_code} 一致"})
    if not name or len(name) > 200:
        raise ValidationError({"institution_name": "请填写就医机构名称（不超过200字）"})
    kind = Institution.Kind.HOSPITAL if code[0] == "H" else Institution.Kind.PHARMACY
    if kind == Institution.Kind.HOSPITAL and level not in (1, 2, 3):
        raise ValidationError({"institution_level": "医院等级应为 1、2 或 3"})
    level = level if kind == Institution.Kind.HOSPITAL else 0
    existing = Institution.objects.filter(code=code).first()
    if existing is not None:
        return existing
    Institution.objects.bulk_create(
        [
            Institution(
                code=code,
                name=name,
                kind=kind,
                level=level,
                area_code=area_code,
                district=None,
                agreement_start=on,
            )
        ],
        ignore_conflicts=True,  # two first settlements at one institution elsewhere may race here
    )
    return Institution.objects.get(code=code)
