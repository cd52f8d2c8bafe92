"""工作台 item of fund supervision: open suspicions (待核查) for those who review them.

Counted in the user's district (`scope_to_user`; a suspicion belongs to the patient's insuring district)
over the (district, status, -id) index, at most CAP + 1 rows. Registered in AuditConfig.ready()."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.access import scope_to_user
from core.workqueue import QueueItem, capped_count

from .models import Suspicion
from .suspicion_selectors import VIEW_CAPABILITY
from .suspicion_services import can_review


def _may_review(user: Any) -> bool:
    return can_review(user) and user.has_capability(VIEW_CAPABILITY)


def _open_suspicions(user: Any) -> int:
    return capped_count(scope_to_user(Suspicion.objects.filter(status=Suspicion.Status.OPEN), user=user))


def audit_queue_items() -> list[QueueItem]:
    return [
        QueueItem(
            key="suspicions_to_review",
            label=_("待核查的疑点"),
            visible=_may_review,
            count=_open_suspicions,
            url=lambda user: f"{reverse('audit:suspicion_list')}?status={Suspicion.Status.OPEN}",
            order=40,
        )
    ]
