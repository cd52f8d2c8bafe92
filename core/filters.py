"""Query-string filters shared by list selectors and APIs."""

from typing import Any

from django.core.exceptions import ValidationError


def int_filter(filters: dict[str, Any], key: str) -> int | None:
    """A numeric filter from a query string; a non-number is the caller's mistake, said in Chinese."""
    value = filters.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({key: "应为数字"}) from None
