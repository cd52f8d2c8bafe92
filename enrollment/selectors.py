"""Reads of the enrollment app, always scoped to the user who asks."""

import re
from typing import Any

from django.db.models import QuerySet

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.filters import int_filter
from core.roles import Capability
from enrollment.models import (
    Employer,
    Enrollment,
    Person,
    Transfer,
)

from .validators import normalize_id_number

_ID_PREFIX = re.compile(r"^[0-9]{6,17}[0-9X]?$")


def person_list(*, fetched_by: Any, query: str = "") -> QuerySet[Person]:
    """Search by ID number (whole or leading digits) or by exact name; newest first.

    Both lookups hit an index (id_number pattern index, (name, id) index), and lists are
    paged by keyset, so a search stays instant at millions of people.
    """
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(Person.objects.all(), user=fetched_by).select_related("district")
    query = (query or "").strip()
    if not query:
        return qs
    number = normalize_id_number(query)
    if _ID_PREFIX.match(number):
        return qs.filter(id_number=number) if len(number) == 18 else qs.filter(id_number__startswith=number)
    return qs.filter(name=query)


def get_person_for_user_or_404(*, fetched_by: Any, person_id: int) -> Person:
    return get_scoped_or_404(
        Person.objects.select_related("district"), user=fetched_by, capability=Capability.VIEW, pk=person_id
    )


def person_enrollments(*, person: Person) -> QuerySet[Enrollment]:
    return person.enrollments.select_related("district", "employer").order_by("-start_date", "-id")


def person_transfers(*, person: Person) -> QuerySet[Transfer]:
    return person.transfers.select_related("from_district", "to_district").order_by("-transfer_date")


def get_enrollment_for_user_or_404(*, fetched_by: Any, enrollment_id: int) -> Enrollment:
    return get_scoped_or_404(
        Enrollment.objects.select_related("person", "district", "employer"),
        user=fetched_by,
        capability=Capability.VIEW,
        pk=enrollment_id,
    )


def enrollment_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[Enrollment]:
    require_capability(fetched_by, Capability.VIEW)
    filters = filters or {}
    qs = scope_to_user(Enrollment.objects.all(), user=fetched_by).select_related("person", "district")
    for key in ("status", "scheme", "category"):
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    if (person := int_filter(filters, "person")) is not None:
        qs = qs.filter(person_id=person)
    return qs


def employer_list(*, fetched_by: Any, query: str = "") -> QuerySet[Employer]:
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(Employer.objects.all(), user=fetched_by).select_related("district")
    query = (query or "").strip()
    if len(query) == 18:
        return qs.filter(credit_code=query.upper())
    if query:
        qs = qs.filter(name__startswith=query)
    return qs


def employer_by_code(*, credit_code: str) -> Employer | None:
    """Employers are looked up city-wide by code: a company in 渝中区 employs people of every district."""
    return Employer.objects.filter(credit_code=(credit_code or "").strip().upper()).first()
