"""工作台 items of medical aid: applications to review, to decide and to pay, high-cost alerts to follow up,
aid recipients still to enroll (待参保, 应保尽保).

Counted in the user's district (`scope_to_user`) over the (district, status, -id) queue indexes, at most
CAP + 1 rows each (core.workqueue.capped_count). Registered in AssistanceConfig.ready()."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.access import scope_to_user
from core.roles import Capability
from core.workqueue import QueueItem, capped_count, has

from .models import AidApplication, AidEnrollmentItem, HighCostAlert

Status = AidApplication.Status


def _applications(status: str):
    def count(user: Any) -> int:
        return capped_count(scope_to_user(AidApplication.objects.filter(status=status), user=user))

    return count


def _open_alerts(user: Any) -> int:
    return capped_count(scope_to_user(HighCostAlert.objects.filter(status=HighCostAlert.Status.OPEN), user=user))


def _open_worklist(user: Any) -> int:
    return capped_count(
        scope_to_user(AidEnrollmentItem.objects.filter(status=AidEnrollmentItem.Status.OPEN), user=user)
    )


def _url(name: str, status: str):
    return lambda user: f"{reverse(name)}?status={status}"


def assistance_queue_items() -> list[QueueItem]:
    return [
        QueueItem(
            key="aid_to_review",
            label=_("待初审的救助申请"),
            visible=has(Capability.REVIEW),
            count=_applications(Status.SUBMITTED),
            url=_url("assistance:application_list", Status.SUBMITTED),
            order=20,
        ),
        QueueItem(
            key="aid_to_decide",
            label=_("待审批的救助申请"),
            visible=has(Capability.REVIEW),
            count=_applications(Status.REVIEWED),
            url=_url("assistance:application_list", Status.REVIEWED),
            order=21,
        ),
        QueueItem(
            key="aid_to_pay",
            label=_("已批准待支付的救助"),
            visible=has(Capability.EDIT),
            count=_applications(Status.APPROVED),
            url=_url("assistance:application_list", Status.APPROVED),
            order=22,
        ),
        QueueItem(
            key="high_cost_alerts",
            label=_("待跟进的高额费用预警"),
            visible=has(Capability.EDIT),
            count=_open_alerts,
            url=_url("assistance:alert_list", HighCostAlert.Status.OPEN),
            order=30,
        ),
        QueueItem(
            key="aid_to_enroll",
            label=_("待参保的医疗救助对象"),
            visible=has(Capability.EDIT),
            count=_open_worklist,
            url=_url("assistance:worklist", AidEnrollmentItem.Status.OPEN),
            order=23,
        ),
    ]
