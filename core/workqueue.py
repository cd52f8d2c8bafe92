"""工作台 as a work queue: for the signed-in user, what waits for them, each with a count and a link.

The floor knows no app above it, so each app registers its own items in `AppConfig.ready()` with
`register_queue_item`, counting with its own scoped queries (`core.access.scope_to_user`): a district
user's numbers are their district's. Counts are cheap on purpose: an indexed filter, and never more
than CAP + 1 rows counted (`capped_count`); the page shows "99+" beyond.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import selectors
from .importing import selectors as import_selectors
from .models import ImportBatch, JobRun
from .roles import Capability

CAP = 99


@dataclass(frozen=True)
class QueueItem:
    """One kind of waiting work. `visible(user)`: whether the user acts on it (role); `count(user)`: how
    many, scoped to the user, at most CAP + 1; `url(user)`: the filtered list where they act on it.
    `order` sorts the page (lower first)."""

    key: str
    label: str | Promise
    visible: Callable[[Any], bool]
    count: Callable[[Any], int]
    url: Callable[[Any], str]
    order: int = 100


QUEUE: dict[str, QueueItem] = {}


def register_queue_item(item: QueueItem) -> None:
    known = QUEUE.get(item.key)
    if known is not None and known != item:
        raise ImproperlyConfigured(f"work queue item {item.key!r} registered twice")
    QUEUE[item.key] = item


def has(capability: str) -> Callable[[Any], bool]:
    """visible= for an item that needs one capability."""
    return lambda user: bool(getattr(user, "is_authenticated", False)) and user.has_capability(capability)


def capped_count(queryset: QuerySet) -> int:
    """COUNT(*) over at most CAP + 1 rows (a LIMIT in a subquery): enough to say "99+", never a full scan."""
    return queryset.order_by()[: CAP + 1].count()


def work_queue(*, user: Any) -> list[dict[str, Any]]:
    """The items this user acts on, in order, each with its count (shown as "99+" above CAP) and link."""
    rows = []
    for item in sorted(QUEUE.values(), key=lambda i: (i.order, i.key)):
        if not item.visible(user):
            continue
        count = item.count(user)
        rows.append(
            {
                "key": item.key,
                "label": item.label,
                "count": count,
                "shown": f"{CAP}+" if count > CAP else str(count),
                "url": item.url(user),
            }
        )
    return rows


# The floor's own items: imports waiting for 确认导入, and (for administrators) failed batch jobs.


def _imports_to_confirm(user: Any) -> int:
    return capped_count(import_selectors.import_batch_list(fetched_by=user, status=ImportBatch.Status.VALIDATED))


def _failed_jobs(user: Any) -> int:
    runs = selectors.job_run_list(fetched_by=user, status=JobRun.Status.FAILED, since_days=selectors.FAILED_RECENT_DAYS)
    return capped_count(runs)


def core_queue_items() -> list[QueueItem]:
    return [
        QueueItem(
            key="imports_to_confirm",
            label=_("待确认的导入批次"),
            visible=has(Capability.EDIT),
            count=_imports_to_confirm,
            url=lambda user: f"{reverse('core:import_list')}?status={ImportBatch.Status.VALIDATED}",
            order=10,
        ),
        QueueItem(
            key="failed_jobs",
            label=_("近 7 天失败的批处理"),
            visible=has(Capability.ADMINISTER),
            count=_failed_jobs,
            url=lambda user: (
                f"{reverse('core:job_list')}?status={JobRun.Status.FAILED}&days={selectors.FAILED_RECENT_DAYS}"
            ),
            order=90,
        ),
    ]
