"""Django announces logins only through signals; each receiver just calls the service."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from core.context import client_ip, current_ip
from core.models import AuditEvent, User
from core.services import audit_event_record


def _with_request_ip(request) -> None:
    if request is not None:
        current_ip.set(client_ip(request))


def on_login(sender, request, user, **kwargs) -> None:
    _with_request_ip(request)
    audit_event_record(actor=user, action=AuditEvent.Action.LOGIN, obj=user, district_id=user.district_id)


def on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        _with_request_ip(request)
        audit_event_record(actor=user, action=AuditEvent.Action.LOGOUT, obj=user, district_id=user.district_id)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    _with_request_ip(request)
    username = str(credentials.get("username", ""))[:150]
    # Scope the event to the account's district, so that district's reviewers see attacks on their staff.
    district_id = User.objects.filter(username=username).values_list("district_id", flat=True).first()
    audit_event_record(
        actor=None,
        actor_username=username,
        action=AuditEvent.Action.LOGIN_FAILED,
        object_type="core.user",
        object_repr=username,
        district_id=district_id,
    )


def connect_login_receivers() -> None:
    """Called once from CoreConfig.ready(); dispatch_uid keeps a second call from doubling events."""
    user_logged_in.connect(on_login, dispatch_uid="core.on_login")
    user_logged_out.connect(on_logout, dispatch_uid="core.on_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="core.on_login_failed")
