"""Write-side scope checks shared by the enrollment services."""

from django.core.exceptions import ValidationError

from core.access import district_in_scope, require_capability
from core.roles import Capability

from .models import User


def require_edit_in_district(*, actor: User | None, district_id: int | None, field: str = "district") -> None:
    """Staff edit only within their own district; city-wide editors anywhere.

    `actor=None` is the system itself (management commands, migrations), which is trusted.
    """
    if actor is None:
        return
    require_capability(actor, Capability.EDIT)
    if district_id is None or not district_in_scope(user=actor, district_id=district_id):
        raise ValidationError({field: "只能在本人所属区县办理该业务"})


def require_edit_for_scope(*, actor: User | None, district_id: int | None) -> None:
    """Work on one district needs edit rights there; work on the whole city needs administer."""
    if district_id is not None:
        require_edit_in_district(actor=actor, district_id=district_id)
    elif actor is not None:
        require_capability(actor, Capability.ADMINISTER)
