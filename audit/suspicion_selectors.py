"""Reads of 疑点 (suspicions), always scoped to the user: a suspicion belongs to the patient's insuring district."""

from typing import Any

from django.db.models import QuerySet

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.roles import Capability

from .models import Suspicion

# Reviewers, supervisors, admins and auditors read the queue (all carry view_audit); clerks do not.
VIEW_CAPABILITY = Capability.VIEW_AUDIT


def suspicion_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[Suspicion]:
    require_capability(fetched_by, VIEW_CAPABILITY)
    filters = filters or {}
    qs = scope_to_user(Suspicion.objects.all(), user=fetched_by).select_related(
        "rule", "person", "institution", "district", "settlement"
    )
    if filters.get("rule"):
        qs = qs.filter(rule__code=filters["rule"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs.order_by("-id")


def get_suspicion_for_user_or_404(*, fetched_by: Any, suspicion_id: int) -> Suspicion:
    qs = Suspicion.objects.select_related("rule", "person", "institution", "district", "settlement", "reviewed_by")
    return get_scoped_or_404(qs, user=fetched_by, capability=VIEW_CAPABILITY, pk=suspicion_id)
