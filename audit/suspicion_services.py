"""Writes on 疑点 (suspicions): the review that confirms or dismisses one, with a reason, audited."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import Suspicion
from core.access import district_in_scope
from core.models import AuditEvent, User
from core.roles import Capability
from core.services import audit_event_record

# The only transitions there are: an open suspicion is confirmed or dismissed, once.
ALLOWED = {Suspicion.Status.OPEN: {Suspicion.Status.CONFIRMED, Suspicion.Status.DISMISSED}}
REASON_MAX = 500


def can_review(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.has_capability(Capability.REVIEW) or user.has_capability(Capability.SUPERVISE)
    )


@transaction.atomic
def suspicion_review(*, actor: User | None, suspicion: Suspicion, decision: str, reason: str) -> Suspicion:
    """确认违规 or 排除 an open suspicion of a district in the actor's scope; the reason is required."""
    if not can_review(actor):
        raise PermissionDenied("您的角色无权核查疑点。")
    if not district_in_scope(user=actor, district_id=suspicion.district_id):
        raise PermissionDenied("该疑点不在您的管辖范围内。")
    suspicion = Suspicion.objects.select_for_update().get(pk=suspicion.pk)
    reason = (reason or "").strip()
    errors = {}
    if decision not in (Suspicion.Status.CONFIRMED, Suspicion.Status.DISMISSED):
        errors["decision"] = "核查结论只能是“确认违规”或“排除”"
    if not reason:
        errors["reason"] = "请填写核查意见"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"核查意见不能超过{REASON_MAX}个字"
    if errors:
        raise ValidationError(errors)
    if decision not in ALLOWED.get(suspicion.status, set()):
        raise ValidationError({"decision": f"该疑点已核查（{suspicion.get_status_display()}），不能重复处理"})
    old = {"status": suspicion.status, "review_reason": suspicion.review_reason}
    suspicion.status = decision
    suspicion.review_reason = reason
    suspicion.reviewed_by = actor
    suspicion.reviewed_at = timezone.now()
    suspicion.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at", "updated_at"])
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=suspicion,
        old_values=old,
        new_values={"status": decision, "review_reason": reason},
        note="疑点核查",
    )
    return suspicion
