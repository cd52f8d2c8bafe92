"""监督检查 writes (日常检查, 专项检查, 飞行检查): open a case, record findings and money, link confirmed
suspicions, close.

Only staff with the supervise capability, and district-bound supervisors only for institutions of their
own district. Every change is written to the audit trail in the same transaction.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import Inspection, Suspicion
from benefits.models import Institution
from core.access import district_in_scope, require_capability
from core.models import AuditEvent, User
from core.roles import Capability
from core.services import audit_event_record, changed_values, snapshot

AUDITED_FIELDS = (
    "kind", "inspectors", "findings", "recovered_amount", "penalty_amount", "status", "started_on", "closed_on",
)  # fmt: skip
# Allowed status changes: an open case may be closed; a closed case stays closed.
TRANSITIONS = {Inspection.Status.OPEN: {Inspection.Status.CLOSED}, Inspection.Status.CLOSED: set()}
MAX_MONEY = Decimal("999999999999.99")


def _require_supervisor_of(actor: User | None, district_id: int) -> None:
    require_capability(actor, Capability.SUPERVISE)
    if not district_in_scope(user=actor, district_id=district_id):
        raise PermissionDenied(_("该机构不在您的管辖范围内。"))


def _money(field: str, label: str, value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("%(label)s须为金额，如 1234.56") % {"label": label}}) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({field: _("%(label)s不能为负数") % {"label": label}})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: _("%(label)s最多精确到分（两位小数）") % {"label": label}})
    if amount > MAX_MONEY:
        raise ValidationError({field: _("%(label)s超出允许范围") % {"label": label}})
    return amount.quantize(Decimal("0.01"))


def _inspectors(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({"inspectors": _("请填写检查人员")})
    if len(value) > 200:
        raise ValidationError({"inspectors": _("检查人员不能超过 200 个字符")})
    return value


def _audit(actor: User | None, inspection: Inspection, old: dict[str, Any], action: str, note: str = "") -> None:
    old_changed, new_changed = changed_values(old, snapshot(inspection, fields=AUDITED_FIELDS))
    audit_event_record(
        actor=actor, action=action, obj=inspection, old_values=old_changed or None, new_values=new_changed, note=note
    )


@transaction.atomic
def inspection_open(
    *,
    actor: User | None,
    institution: Institution,
    started_on: dt.date,
    inspectors: str,
    findings: str = "",
    kind: str = Inspection.Kind.ROUTINE,
) -> Inspection:
    _require_supervisor_of(actor, institution.district_id)
    if kind not in Inspection.Kind.values:
        raise ValidationError({"kind": _("请选择检查类型：日常检查、专项检查或飞行检查")})
    if started_on is None:
        raise ValidationError({"started_on": _("请填写检查日期")})
    inspection = Inspection.objects.create(
        institution=institution,
        district_id=institution.district_id,
        kind=kind,
        started_on=started_on,
        inspectors=_inspectors(inspectors),
        findings=(findings or "").strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _audit(actor, inspection, {}, AuditEvent.Action.CREATE)
    return inspection


def _locked(inspection: Inspection) -> Inspection:
    locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if locked.status == Inspection.Status.CLOSED:
        raise ValidationError({"status": _("该检查已结案，不能再修改")})
    return locked


def _confirmed_suspicions(inspection: Inspection, suspicion_ids: Iterable[int]) -> list[int]:
    wanted = sorted({int(pk) for pk in suspicion_ids})
    found = set(
        Suspicion.objects.filter(
            pk__in=wanted, institution_id=inspection.institution_id, status=Suspicion.Status.CONFIRMED
        ).values_list("pk", flat=True)
    )
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError(
            {
                "suspicion_ids": _("疑点 %(ids)s 不存在、未确认违规或不属于该机构")
                % {"ids": "、".join(map(str, missing))}
            }
        )
    return wanted


@transaction.atomic
def inspection_update(
    *,
    actor: User | None,
    inspection: Inspection,
    inspectors: str | None = None,
    findings: str | None = None,
    recovered_amount: Any = None,
    penalty_amount: Any = None,
    suspicion_ids: Iterable[int] | None = None,
) -> Inspection:
    """Record findings, amounts and linked suspicions of an open case. Omitted (None) values stay."""
    _require_supervisor_of(actor, inspection.district_id)
    inspection = _locked(inspection)
    old = snapshot(inspection, fields=AUDITED_FIELDS)
    if inspectors is not None:
        inspection.inspectors = _inspectors(inspectors)
    if findings is not None:
        inspection.findings = findings.strip()
    if recovered_amount is not None:
        inspection.recovered_amount = _money("recovered_amount", _("追回金额"), recovered_amount)
    if penalty_amount is not None:
        inspection.penalty_amount = _money("penalty_amount", _("罚款金额"), penalty_amount)
    linked_before = sorted(inspection.suspicions.values_list("pk", flat=True))
    linked = _confirmed_suspicions(inspection, suspicion_ids) if suspicion_ids is not None else linked_before
    inspection.save(update_fields=["inspectors", "findings", "recovered_amount", "penalty_amount", "updated_at"])
    if linked != linked_before:
        inspection.suspicions.set(linked)
        old["suspicion_ids"] = linked_before
    new = snapshot(inspection, fields=AUDITED_FIELDS) | ({"suspicion_ids": linked} if linked != linked_before else {})
    old_changed, new_changed = changed_values(old, new)
    if new_changed:
        audit_event_record(
            actor=actor, action=AuditEvent.Action.UPDATE, obj=inspection, old_values=old_changed, new_values=new_changed
        )
    return inspection


@transaction.atomic
def inspection_close(*, actor: User | None, inspection: Inspection, closed_on: dt.date) -> Inspection:
    _require_supervisor_of(actor, inspection.district_id)
    inspection = _locked(inspection)
    if Inspection.Status.CLOSED not in TRANSITIONS[inspection.status]:
        raise ValidationError({"status": _("该检查当前状态不能结案")})
    if closed_on is None:
        raise ValidationError({"closed_on": _("请填写结案日期")})
    if closed_on < inspection.started_on:
        raise ValidationError(
            {"closed_on": _("结案日期不能早于检查日期（%(date)s）") % {"date": inspection.started_on.isoformat()}}
        )
    old = snapshot(inspection, fields=AUDITED_FIELDS)
    inspection.status = Inspection.Status.CLOSED
    inspection.closed_on = closed_on
    inspection.save(update_fields=["status", "closed_on", "updated_at"])
    _audit(actor, inspection, old, AuditEvent.Action.STATUS, note=_("结案"))
    return inspection
