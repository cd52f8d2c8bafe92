"""Keyset pagination: lists of millions of rows never run COUNT(*) or OFFSET."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

# The largest primary key PostgreSQL's bigint holds; a cursor past it is not a position.
MAX_ID = 2**63 - 1


class KeysetPagination(CursorPagination):
    """Newest first by id. `page_size` 1..500; an invalid `page_size` or `cursor` is a 400 (JSON), not a
    silent default or a 404 (the schema declares both bounds, so clients and schemathesis know them)."""

    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [f"每页条数须为 1 至 {self.max_page_size} 的整数"]})
        return size

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or cursor.position is None or _is_id(cursor.position)
        if not valid:
            raise ValidationError({self.cursor_query_param: ["翻页游标无效，请使用上一页返回的 next/previous 链接"]})
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) <= MAX_ID


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
