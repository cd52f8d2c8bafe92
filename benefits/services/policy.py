"""Writes of the benefits app: the benefit policy, loaded from and kept as versioned data."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.access import require_capability
from core.models import AuditEvent, User
from core.roles import Capability
from core.services import audit_event_record, snapshot

from ..models import BenefitPolicy, ChronicDisease, CriticalIllnessPolicy, RemoteCareRule
from ..models.chronic import DiseaseKind
from ..models.policy import ClaimAidRatio
from ..policy_format import validate_document

MONEY_FIELDS = {"deductible", "ratio", "annual_cap", "tilt_deductible_factor", "tilt_ratio_bonus", "ratio_reduction"}


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
    """Load a policy file (docs/benefit-policy.md). All lines or none; reloading it changes nothing.

    The file is checked whole first (benefits/policy_format.py: the seed constraints, named by line and
    rule), so a file that breaks a rule stores nothing."""
    if actor is not None:
        require_capability(actor, Capability.ADMINISTER)
    # Per-disease lines must name a 门诊慢特病 of the catalogue (not a 两病 entry). An empty catalogue (only a
    # flushed test database has one; migration 0003 seeds it) leaves the codes unchecked.
    catalogue = dict(ChronicDisease.objects.values_list("code", "kind"))
    chronic_codes = {code for code, kind in catalogue.items() if kind == DiseaseKind.CHRONIC} if catalogue else None
    rows = validate_document(document, chronic_codes=chronic_codes)
    counts = {"created": 0, "unchanged": 0}
    for model, section in ((BenefitPolicy, "benefits"), (CriticalIllnessPolicy, "critical_illness"),
                           (ClaimAidRatio, "medical_aid"), (RemoteCareRule, "remote_care")):  # fmt: skip
        for row in rows[section]:
            counts[_upsert_version(model, actor=actor, key=row["key"], values=row["values"], label=row["label"])] += 1
    return counts
