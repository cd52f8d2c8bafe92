"""Reads of the enrollment app, scoped to the user who asks."""

from typing import Any

from django.db.models import QuerySet

from audit.access import require_capability
from audit.roles import Capability

from .models import District


def district_list(*, fetched_by: Any) -> QuerySet[District]:
    """Reference data: every staff role may read the whole list (needed to pick a transfer target)."""
    require_capability(fetched_by, Capability.VIEW)
    return District.objects.order_by("code")
