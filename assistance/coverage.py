"""资助参保 across the layers: issuing a new recipient's bill, and knowing who has a fully paid bill, are
contribution matters, and contributions sits above this app (the import-linter layers contract). So,
as contributions registers its person panel with enrollment, it registers here in its `ready()`:

    from assistance.coverage import Coverage, register_coverage
    register_coverage(Coverage(issue_bill=contribution_bill_issue, covered_people=...))

`issue_bill(actor=, enrollment=, coverage_year=)` issues (or returns) the person's bill for the year,
with the subsidy it computes from AidRecipient; `covered_people(year)` is a queryset of `person_id`
values whose bill for the year is fully paid or fully subsidised (status 已缴).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Coverage:
    issue_bill: Callable[..., Any]
    covered_people: Callable[[int], Any]


_REGISTERED: list[Coverage] = []


def register_coverage(coverage: Coverage) -> None:
    _REGISTERED[:] = [coverage]


def coverage() -> Coverage:
    if not _REGISTERED:
        raise ImproperlyConfigured("资助参保缴费单未接入：contributions 须在 ready() 中调用 register_coverage")
    return _REGISTERED[0]
