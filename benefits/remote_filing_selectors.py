"""Reads of 异地就医备案, always scoped to the user: a filing belongs to the person's insuring district, and
another district sees nothing of it. The self-service channel reads only the person it has identified."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from core.access import get_scoped_or_404, require_capability, scope_to_user
from core.roles import Capability
from enrollment.models import Person
from enrollment.validators import InvalidValue, normalize_id_number, validate_id_number

from .models import RemoteCareFiling

SELF_SERVICE_MISMATCH = "身份证号与姓名不一致，或该身份证号未在本市参保"


def _related(qs: QuerySet[RemoteCareFiling]) -> QuerySet[RemoteCareFiling]:
    return qs.select_related("person", "district", "rule", "created_by")


def remote_filing_list(
    *,
    fetched_by: Any,
    query: str = "",
    filing_type: str = "",
    status: str = "",
    destination: str = "",
    person_id: int | None = None,
) -> QuerySet[RemoteCareFiling]:
    """The user's district's filings. `query`: a whole ID number (18 characters) or the start of a name;
    `destination`: a city code, or a province code (xx0000) for every filing into that province."""
    require_capability(fetched_by, Capability.VIEW)
    qs = _related(scope_to_user(RemoteCareFiling.objects.all(), user=fetched_by))
    query = (query or "").strip()
    if query:
        number = normalize_id_number(query)
        if number[:1].isdigit():
            # ID numbers are matched whole: a prefix would list a whole district's people.
            qs = qs.filter(person__id_number=number) if len(number) == 18 else qs.none()
        else:
            qs = qs.filter(person__name__startswith=query)
    if filing_type:
        qs = qs.filter(filing_type=filing_type)
    if status:
        qs = qs.filter(status=status)
    destination = (destination or "").strip()
    if destination:
        if len(destination) == 6 and destination.endswith("0000"):
            qs = qs.filter(destination_code__startswith=destination[:2])
        else:
            qs = qs.filter(destination_code=destination)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    return qs


def get_remote_filing_for_user_or_404(*, fetched_by: Any, filing_id: int) -> RemoteCareFiling:
    return get_scoped_or_404(
        _related(RemoteCareFiling.objects.all()), user=fetched_by, capability=Capability.VIEW, pk=filing_id
    )


def person_remote_filings(*, fetched_by: Any, person: Person) -> QuerySet[RemoteCareFiling]:
    """One person's filings in the user's scope, newest first (the person page's panel)."""
    return remote_filing_list(fetched_by=fetched_by, person_id=person.pk).order_by("-valid_from", "-id")


def self_service_person(*, id_number: str, name: str) -> Person:
    """The person a self-service channel has identified: the ID number and the name must both match.
    Either wrong answers the same, so the channel cannot probe who is insured here."""
    require_name = (name or "").strip()
    try:
        number = validate_id_number(id_number or "")
    except InvalidValue:
        raise ValidationError({"id_number": SELF_SERVICE_MISMATCH}) from None
    person = Person.objects.filter(id_number=number).first()
    if person is None or not require_name or person.name != require_name:
        raise ValidationError({"id_number": SELF_SERVICE_MISMATCH})
    return person


def self_service_filings(*, fetched_by: Any, person: Person) -> QuerySet[RemoteCareFiling]:
    """That person's filings only, for the self-service channel (which has no district scope)."""
    require_capability(fetched_by, Capability.SELF_SERVICE)
    return _related(RemoteCareFiling.objects.filter(person=person))
