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

from .validators import InvalidValue, normalize_id_number, validate_id_number

ID_PREFIX_MIN = 6  # the area code: fewer digits would match a whole district, and no index narrows it
NAME_MIN = 2  # a surname alone is not a name; names are matched whole
_ID_PREFIX = re.compile(rf"^[0-9]{{{ID_PREFIX_MIN},17}}[0-9X]?$")
_ID_LIKE = re.compile(r"^[0-9]+X?$")


class SearchProblem:
    """Why a search cannot run as typed (the view says it in words)."""

    ID_TOO_SHORT = "id_too_short"
    NAME_TOO_SHORT = "name_too_short"
    ID_TOO_LONG = "id_too_long"


def person_query_problem(*, query: str) -> str:
    """ "" when `person_list` can search for this query, else a SearchProblem code."""
    query = (query or "").strip()
    if not query:
        return ""
    number = normalize_id_number(query)
    if _ID_LIKE.match(number):
        if len(number) < ID_PREFIX_MIN:
            return SearchProblem.ID_TOO_SHORT
        if len(number) > 18:
            return SearchProblem.ID_TOO_LONG
        return ""
    if len(query) < NAME_MIN:
        return SearchProblem.NAME_TOO_SHORT
    return ""


def person_list(*, fetched_by: Any, query: str = "") -> QuerySet[Person]:
    """Search by ID number (whole or at least its first 6 digits) or by exact name; newest first.

    Both lookups hit an index (id_number pattern index, (name, id) index), and lists are
    paged by keyset, so a search stays instant at millions of people. A query too short to search
    (`person_query_problem`) finds no one rather than scanning.
    """
    require_capability(fetched_by, Capability.VIEW)
    qs = scope_to_user(Person.objects.all(), user=fetched_by).select_related("district")
    query = (query or "").strip()
    if not query:
        return qs
    if person_query_problem(query=query):
        return qs.none()
    number = normalize_id_number(query)
    if _ID_PREFIX.match(number):
        return qs.filter(id_number=number) if len(number) == 18 else qs.filter(id_number__startswith=number)
    return qs.filter(name=query)


def person_already_registered(*, fetched_by: Any, id_number: str) -> tuple[Person | None, bool]:
    """For a refused duplicate registration: (the person, if the user may open them; whether the number is
    registered at all). A person of another district is not shown, only that they exist."""
    try:
        number = validate_id_number(id_number)
    except InvalidValue:
        return None, False
    existing = Person.objects.filter(id_number=number).only("pk", "district_id").first()
    if existing is None:
        return None, False
    visible = scope_to_user(Person.objects.filter(pk=existing.pk), user=fetched_by).select_related("district").first()
    return visible, True


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
