from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.roles import Capability


class HasStaffRole(BasePermission):
    """Default for every endpoint: a staff role; writes need the edit capability."""

    message = "您的角色无权执行此操作。"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.role):
            return False
        required = getattr(view, "required_capability", None)
        if required is None:
            required = Capability.VIEW if request.method in SAFE_METHODS else Capability.EDIT
        return user.has_capability(required)
