"""Reads of the enrollment app, always scoped to the user who asks."""

import re
from typing import Any

from django.db.models import QuerySet, Subquery

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.filters import int_filter
from core.roles import Capability
from core.selectors import IndexOrderedQuerySet
from enrollment.models import (
    SCHEME_CATEGORIES,
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


class _IdNumberKeyset(IndexOrderedQuerySet):
    """People matched by an ID-number prefix, listed in ID-number order.

    A 6-digit prefix is a whole area (about 130,000 people at 5M): newest first would be
    ORDER BY id DESC LIMIT 51, which walks the primary key backwards and throws away every
    person outside the area (millions when ids follow import order). In ID-number order a range
    scan of (id_number) (city-wide) or (district, id_number) (one district) stops after 51 rows;
    read with sorting disabled (IndexOrderedQuerySet) it does whatever the statistics say.

    keyset_page and the API's cursor pagination order by -pk/-id and page with pk/id < last;
    both are translated here to the ID-number key, so the page links (after=<last id>) and
    the lack of COUNT stay as they are for users."""

    _ORDER = {"-pk": "id_number", "-id": "id_number", "pk": "-id_number", "id": "-id_number"}

    def order_by(self, *fields):
        return super().order_by(*(self._ORDER.get(f, f) if isinstance(f, str) else f for f in fields))

    def filter(self, *args, **kwargs):
        mapped = {}
        for key, value in kwargs.items():
            if key in ("pk__lt", "id__lt", "pk__gt", "id__gt"):
                # after the last row shown = beyond its ID number; a vanished id ends the list (NULL).
                last = Subquery(Person.objects.filter(pk=value).values("id_number")[:1])
                key = "id_number__gt" if key.endswith("__lt") else "id_number__lt"
                value = last
            mapped[key] = value
        return super().filter(*args, **mapped)


def person_list(*, fetched_by: Any, query: str = "") -> QuerySet[Person]:
    """Search by ID number (whole or at least its first 6 digits) or by exact name.

    Lists and name matches are newest first; ID-prefix matches are in ID-number order
    (`_IdNumberKeyset`). Every lookup hits an index whose order is the list's order (
    (district, id) / pk, (name, id), (id_number) or (district, id_number)), and lists are
    paged by keyset, so a search stays instant at millions of people. A query too short to search
    (`person_query_problem`) finds no one rather than scanning.
    """
    require_capability(fetched_by, Capability.VIEW)
    query = (query or "").strip()
    number = normalize_id_number(query)
    by_id_number = bool(query) and not person_query_problem(query=query) and bool(_ID_PREFIX.match(number))
    # ID-number order for a whole number too: it is one row, and ordered by the column it is equal to the
    # ORDER BY drops out, so nothing tempts the planner to walk the primary key backwards past 5M rows.
    base = _IdNumberKeyset(Person) if by_id_number else IndexOrderedQuerySet(Person)
    qs = scope_to_user(base, user=fetched_by).select_related("district")
    if not query:
        return qs  # (district, -id), or the primary key city-wide
    if person_query_problem(query=query):
        return qs.none()
    if by_id_number:
        if len(number) == 18:
            return qs.filter(id_number=number)
        # The same rows as LIKE 'prefix%', said as a range the default-opclass indexes (the list's order)
        # can bound: ID numbers hold only digits and X, and "Z" sorts after both.
        return qs.filter(id_number__gte=number, id_number__lt=number + "Z", id_number__startswith=number).order_by(
            "-pk"
        )
    # (district, name, -id) in one district; (name, id) walked backwards city-wide.
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


# The scheme each 人员类别 belongs to (the enrollment_scheme_category_tier constraint).
_CATEGORY_SCHEME = {category: scheme for scheme, categories in SCHEME_CATEGORIES.items() for category in categories}


def enrollment_list(*, fetched_by: Any, filters: dict[str, Any] | None = None) -> QuerySet[Enrollment]:
    """Newest first. Each filter has an index ending in id ((district, <filter>, id) and (<filter>, id)
    city-wide), so LIMIT stops after one page instead of walking the primary key past other rows.

    A category names its scheme: with a category the scheme filter is implied (dropped, so the
    category index is the one used), and a contradicting scheme finds nothing without a scan."""
    require_capability(fetched_by, Capability.VIEW)
    filters = filters or {}
    # A person's few enrollments are fetched by enrollment_person_idx and sorted; every other filter
    # has its (district, <filter>, id) / (<filter>, id) index.
    person = int_filter(filters, "person")
    base = Enrollment.objects.all() if person is not None else IndexOrderedQuerySet(Enrollment)
    qs = scope_to_user(base, user=fetched_by).select_related("person", "district")
    status, category, scheme = filters.get("status"), filters.get("category"), filters.get("scheme")
    if category and category in _CATEGORY_SCHEME:
        if scheme and scheme != _CATEGORY_SCHEME[category]:
            return qs.none()
        scheme = None
    for key, value in (("status", status), ("scheme", scheme), ("category", category)):
        if value:
            qs = qs.filter(**{key: value})
    if person is not None:
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
