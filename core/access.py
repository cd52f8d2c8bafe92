"""The one place that decides what a user may see and do.

Every selector scopes its queryset through `scope_to_user`, and every
`get_<entity>_for_user_or_404` goes through `get_scoped_or_404`, so a record
of another district looks exactly like a record that does not exist.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from core.roles import Capability


def require_capability(user: Any, capability: str) -> None:
    """Raise 403 unless the signed-in user's role carries `capability`."""
    if not getattr(user, "is_authenticated", False) or not user.has_capability(capability):
        raise PermissionDenied(_("您的角色无权执行此操作。"))


def scope_to_user(queryset: QuerySet, *, user: Any, district_field: str = "district") -> QuerySet:
    """Rows of the user's district only; city-wide users see the whole city; others see nothing.

    Roles without the view capability (an institution's system account) see nothing at all here."""
    if not getattr(user, "is_authenticated", False) or not user.has_capability(Capability.VIEW):
        return queryset.none()
    if user.is_city_wide:
        return queryset
    return queryset.filter(**{district_field: user.district_id})


def get_scoped_or_404(
    queryset: QuerySet, *, user: Any, capability: str, district_field: str = "district", **lookup: Any
) -> Model:
    """Fetch one record in the user's scope; missing and out-of-scope both raise 404."""
    require_capability(user, capability)
    obj = scope_to_user(queryset, user=user, district_field=district_field).filter(**lookup).first()
    if obj is None:
        raise Http404(_("记录不存在或不在您的管辖范围内。"))
    return obj


def district_in_scope(*, user: Any, district_id: int | None) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role) and (
        user.is_city_wide or user.district_id == district_id
    )
