"""Keyset pagination: lists of millions of rows never run COUNT(*) or OFFSET."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "-id"


@dataclass(frozen=True)
class KeysetPage:
    items: list[Any]
    next_after: int | None
    after: int | None


def keyset_page(queryset: QuerySet, *, after: str | int | None, size: int = 50) -> KeysetPage:
    """Newest first by primary key; `after` is the last id of the previous page."""
    try:
        after_id = int(after) if after not in (None, "") else None
    except (TypeError, ValueError):
        after_id = None
    qs = queryset.order_by("-pk")
    if after_id is not None:
        qs = qs.filter(pk__lt=after_id)
    rows = list(qs[: size + 1])
    next_after = rows[size - 1].pk if len(rows) > size else None
    return KeysetPage(items=rows[:size], next_after=next_after, after=after_id)
