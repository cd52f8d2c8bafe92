"""Writes of the benefits app: the benefit policy, loaded from and kept as versioned data."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.access import require_capability
from core.models import AuditEvent, User
from core.roles import Capability
from core.services import audit_event_record, snapshot

from ..models import BenefitPolicy, CriticalIllnessPolicy
from ..policy_format import BENEFIT_KEY, BENEFIT_VALUES, CRITICAL_VALUES, FORMAT

MONEY_FIELDS = {"deductible", "ratio", "annual_cap", "tilt_deductible_factor", "tilt_ratio_bonus"}


def _normal(field: str, value: Any) -> Any:
    """Compare file values and stored values on one footing (Decimals as Decimals)."""
    if field in MONEY_FIELDS and value is not None:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValidationError({field: f"{field} 应为数字：{value}"}) from None
    return value


def _upsert_version(model, *, actor: User | None, key: dict, values: dict, label: str) -> str:
    """Insert a new version when the values differ from the current one; same values change nothing."""
    current = model.objects.filter(**key).order_by("-version").first()
    wanted = {f: _normal(f, v) for f, v in values.items()}
    if current is not None and all(_normal(f, getattr(current, f)) == v for f, v in wanted.items()):
        return "unchanged"
    row = model(**key, **wanted, version=(current.version + 1) if current else 1)
    try:
        row.full_clean()
    except ValidationError as exc:
        raise ValidationError({label: "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())}) from None
    row.save()
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=row,
        old_values=snapshot(current, fields=[*values]) if current else None,
        new_values=snapshot(row),
        note="待遇清单新版本",
    )
    return "created"


@transaction.atomic
def benefit_policy_load(*, actor: User | None, document: dict) -> dict[str, int]:
    """Load a policy file (docs/benefit-policy.md). All lines or none; reloading it changes nothing."""
    if actor is not None:
        require_capability(actor, Capability.ADMINISTER)
    if document.get("format") != FORMAT:
        raise ValidationError({"format": f"文件格式应为 {FORMAT}"})
    year = document.get("year")
    if not isinstance(year, int):
        raise ValidationError({"year": "缺少年度"})
    counts = {"created": 0, "unchanged": 0}
    for i, line in enumerate(document.get("benefits", []), start=1):
        key = {"year": year, **{k: line.get(k, "" if k == "category" else 0) for k in BENEFIT_KEY}}
        values = {k: line.get(k, "") if k == "source" else line.get(k) for k in BENEFIT_VALUES}
        counts[_upsert_version(BenefitPolicy, actor=actor, key=key, values=values, label=f"benefits 第{i}条")] += 1
    for i, line in enumerate(document.get("critical_illness", []), start=1):
        key = {"year": year, "scheme": line.get("scheme")}
        values = {k: line.get(k, "") if k == "source" else line.get(k) for k in CRITICAL_VALUES}
        label = f"critical_illness 第{i}条"
        counts[_upsert_version(CriticalIllnessPolicy, actor=actor, key=key, values=values, label=label)] += 1
    return counts
