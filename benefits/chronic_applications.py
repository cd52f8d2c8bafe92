"""门诊慢特病申请 (chronic-disease application): services and selectors of its workflow.

申请 (a clerk takes it in: person, disease, diagnosing hospital, diagnosis, evidence) -> 评定 (a reviewer
assesses: result and reason) -> 审批 (a second reviewer, not the assessor and not the one who took it in,
approves; approval creates the ChronicRegistration with its valid_from) or 驳回 at either step with a
reason. A district with a single reviewer has the municipal reviewer (city-wide) approve. Every move goes
through `chronic_application_transition` over ChronicApplication.TRANSITIONS and is audited.

001: "根据我市医保基金承受能力，逐步扩大由统筹基金支付的门诊慢特病病种范围". Only diseases of kind
`chronic` are applied for here: 高血压 and 糖尿病 are the separate 两病门诊用药保障 (002: "继续做好高血压、
糖尿病门诊用药保障").
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.models import AuditEvent, User
from core.roles import Capability
from core.scope import require_edit_in_district
from core.services import acting_user, audit_event_record, status_change_record
from core.workqueue import QueueItem, capped_count, has
from enrollment.models import Person

from .models import ChronicDisease, ChronicRegistration, Institution
from .models.chronic import ChronicApplication, DiseaseKind
from .services import chronic_registration_create

Status = ChronicApplication.Status
MAX_EVIDENCE = 20
MAX_TEXT = 500


# --- selectors ------------------------------------------------------------------------------------------------


def chronic_catalogue(*, kind: str = DiseaseKind.CHRONIC) -> QuerySet[ChronicDisease]:
    """The active diseases of one cover: 门诊慢特病 (`chronic`) or 两病门诊用药保障 (`two_diseases`)."""
    return ChronicDisease.objects.filter(active=True, kind=kind).order_by("code")


def chronic_application_list(
    *, fetched_by: Any, status: str = "", person_id: int | None = None
) -> QuerySet[ChronicApplication]:
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(ChronicApplication.objects.all(), user=fetched_by).select_related(
        "person", "district", "disease", "hospital"
    )
    if status:
        qs = qs.filter(status=status)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    return qs


def get_chronic_application_for_user_or_404(*, fetched_by: Any, application_id: int) -> ChronicApplication:
    return get_scoped_or_404(
        ChronicApplication.objects.select_related(
            "person", "district", "disease", "hospital", "submitted_by", "assessed_by", "decided_by", "registration"
        ),
        user=fetched_by,
        capability=Capability.VIEW,
        pk=application_id,
    )


# --- services -------------------------------------------------------------------------------------------------


def _text(value: Any, field: str, label: str, *, required: bool) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}"})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: f"{label}不超过{MAX_TEXT}个字"})
    return text


def _evidence(items: Any) -> list[str]:
    """The documents handed in, one per item; at least one (the hospital's diagnosis certificate)."""
    if isinstance(items, str):
        items = items.splitlines()
    if not isinstance(items, list | tuple):
        raise ValidationError({"evidence": "诊断材料应为清单，每项一份材料"})
    cleaned = [str(i).strip() for i in items if str(i).strip()]
    if not cleaned:
        raise ValidationError({"evidence": "请列出至少一份诊断材料（如诊断证明书、病历、检查报告）"})
    if len(cleaned) > MAX_EVIDENCE:
        raise ValidationError({"evidence": f"诊断材料不超过{MAX_EVIDENCE}项"})
    if any(len(i) > 200 for i in cleaned):
        raise ValidationError({"evidence": "每项诊断材料不超过200个字"})
    return cleaned


def _disease(code: str) -> ChronicDisease:
    disease = ChronicDisease.objects.filter(code=(code or "").strip(), active=True).first()
    if disease is None:
        raise ValidationError({"disease": "病种不在门诊慢特病目录中"})
    if disease.kind == DiseaseKind.TWO_DISEASES:
        raise ValidationError({"disease": f"{disease.name}属两病门诊用药保障，不是门诊慢特病，无需申请认定"})
    return disease


def _hospital(code: str) -> Institution:
    hospital = Institution.objects.filter(
        code=(code or "").strip().upper(), kind=Institution.Kind.HOSPITAL, area_code=""
    ).first()
    if hospital is None:
        raise ValidationError({"hospital": "诊断医院须为定点医疗机构，请填写其机构编码"})
    return hospital


@transaction.atomic
def chronic_application_submit(
    *,
    actor: User | None,
    person: Person,
    disease_code: str,
    hospital_code: str,
    diagnosis: str,
    evidence: Any,
) -> ChronicApplication:
    """Take in a 门诊慢特病 application; it waits in the district's queue for 评定."""
    require_edit_in_district(actor=actor, district_id=person.district_id, field="person")
    disease = _disease(disease_code)
    hospital = _hospital(hospital_code)
    diagnosis = _text(diagnosis, "diagnosis", "诊断结论", required=True)
    documents = _evidence(evidence)
    # Serialise applications of one person, so the checks below hold when two clerks submit at once.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if not person.enrollments.filter(status="active").exists():
        raise ValidationError({"person": "该参保人没有有效的参保登记"})
    if ChronicRegistration.objects.filter(
        person=person, disease=disease, status=ChronicRegistration.Status.ACTIVE
    ).exists():
        raise ValidationError({"disease": f"该参保人已登记{disease.name}，无需重复申请"})
    if ChronicApplication.objects.filter(person=person, disease=disease, status__in=ChronicApplication.OPEN).exists():
        raise ValidationError({"disease": f"该参保人已有办理中的{disease.name}申请"})
    try:
        with transaction.atomic():
            application = ChronicApplication.objects.create(
                person=person,
                district_id=person.district_id,
                disease=disease,
                hospital=hospital,
                diagnosis=diagnosis,
                evidence=documents,
                submitted_by=acting_user(actor),
            )
    except IntegrityError:  # a concurrent application of the same person and disease
        raise ValidationError({"disease": f"该参保人已有办理中的{disease.name}申请"}) from None
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=application,
        new_values={
            "person_id": person.pk,
            "disease": disease.code,
            "hospital": hospital.code,
            "diagnosis": diagnosis,
            "evidence": documents,
            "status": Status.SUBMITTED,
        },
    )
    return application


def _move_message(current: str, to: str) -> str:
    return f"不能从「{Status(current).label}」变为「{Status(to).label}」"


def _separation_refusal(*, user: User | None, application: ChronicApplication, to_status: str) -> str:
    """Why this user may not make this move (empty: may). 审批 is a second pair of eyes."""
    if user is None or application.status != Status.ASSESSED:
        return ""
    if application.assessed_by_id == user.pk:
        return "评定人不能审批本人评定的申请"
    if to_status == Status.APPROVED and application.submitted_by_id == user.pk:
        return "不能审批本人受理的申请"
    return ""


@transaction.atomic
def chronic_application_transition(
    *,
    actor: User | None,
    application: ChronicApplication,
    to_status: str,
    reason: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> ChronicApplication:
    """Move an application one step along ChronicApplication.TRANSITIONS.

    评定 (submitted -> assessed) and 驳回 at 评定 record the assessment: result, reason, assessor. 审批
    (assessed -> approved) and 驳回 at 审批 need a reviewer other than the assessor (and, to approve, other
    than the one who took it in); approval creates the registration from `valid_from` (default today).
    Every move needs the review capability in the application's district and is audited.
    """
    if to_status not in Status.values:
        raise ValidationError({"to_status": "目标状态无效"})
    if actor is not None:
        require_capability(actor, Capability.REVIEW)
    require_edit_in_district(actor=actor, district_id=application.district_id)
    application = ChronicApplication.objects.select_for_update().get(pk=application.pk)
    current = application.status
    if to_status not in ChronicApplication.TRANSITIONS[current]:
        raise ValidationError({"to_status": _move_message(current, to_status)})
    user = acting_user(actor)
    if refusal := _separation_refusal(user=user, application=application, to_status=to_status):
        raise PermissionDenied(refusal)
    assessing = current == Status.SUBMITTED
    if assessing:
        reason = _text(reason, "reason", "评定意见", required=True)
    else:
        reason = _text(reason, "reason", "审批意见", required=False)
        if to_status == Status.REJECTED and not reason:
            raise ValidationError({"reason": "驳回须填写理由"})
    now = timezone.now()
    fields = ["status", "updated_at"]
    new_values: dict[str, Any] = {"status": to_status}
    if assessing:
        application.assessment_result = (
            ChronicApplication.Result.MEETS if to_status == Status.ASSESSED else ChronicApplication.Result.NOT_MEETS
        )
        application.assessment_reason, application.assessed_by, application.assessed_at = reason, user, now
        fields += ["assessment_result", "assessment_reason", "assessed_by", "assessed_at"]
        new_values["assessment_result"] = application.assessment_result
    else:
        application.decision_reason, application.decided_by, application.decided_at = reason, user, now
        fields += ["decision_reason", "decided_by", "decided_at"]
    if to_status == Status.APPROVED:
        start = valid_from or timezone.localdate()
        registration = chronic_registration_create(
            actor=actor,
            person=application.person,
            disease_code=application.disease.code,
            valid_from=start,
            valid_to=valid_to,
            certified_by=application.hospital.name,
        )
        application.registration = registration
        fields.append("registration")
        new_values |= {"registration_id": registration.pk, "start": start.isoformat()}
    application.status = to_status
    application.save(update_fields=fields)
    status_change_record(actor=actor, obj=application, old_status=current, new_values=new_values, reason=reason)
    return application


def allowed_transitions(*, user: Any, application: ChronicApplication) -> list[str]:
    """The moves this user may offer on this application (for buttons; the service checks again)."""
    if not user.has_capability(Capability.REVIEW):
        return []
    moves = [
        to
        for to in ChronicApplication.TRANSITIONS[application.status]
        if not _separation_refusal(user=user, application=application, to_status=to)
    ]
    order = list(Status.values)
    return sorted(moves, key=order.index)


# --- 工作台 ------------------------------------------------------------------------------------------------------


def _count(status: str):
    def count(user: Any) -> int:
        return capped_count(scope_to_user(ChronicApplication.objects.filter(status=status), user=user))

    return count


def _url(status: str):
    return lambda user: f"{reverse('benefits:chronic_application_list')}?status={status}"


def chronic_queue_items() -> list[QueueItem]:
    """Registered in BenefitsConfig.ready(); counted over the (district, status, -id) index."""
    return [
        QueueItem(
            key="chronic_to_assess",
            label=_("待评定的门诊慢特病申请"),
            visible=has(Capability.REVIEW),
            count=_count(Status.SUBMITTED),
            url=_url(Status.SUBMITTED),
            order=23,
        ),
        QueueItem(
            key="chronic_to_approve",
            label=_("待审批的门诊慢特病申请"),
            visible=has(Capability.REVIEW),
            count=_count(Status.ASSESSED),
            url=_url(Status.ASSESSED),
            order=24,
        ),
    ]
