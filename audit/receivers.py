"""Django announces logins only through signals; each receiver just calls the service."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .context import client_ip, current_ip
from .models import AuditEvent, User
from .services import audit_event_record


def _with_request_ip(request) -> None:
    if request is not None:
        current_ip.set(client_ip(request))


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs) -> None:
    _with_request_ip(request)
    audit_event_record(actor=user, action=AuditEvent.Action.LOGIN, obj=user, district_id=user.district_id)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        _with_request_ip(request)
        audit_event_record(actor=user, action=AuditEvent.Action.LOGOUT, obj=user, district_id=user.district_id)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    _with_request_ip(request)
    username = str(credentials.get("username", ""))[:150]
    # Scope the event to the account's district, so that district's reviewers see attacks on their staff.
    district_id = User.objects.filter(username=username).values_list("district_id", flat=True).first()
    audit_event_record(
        actor=None,
        actor_username=username,
        action=AuditEvent.Action.LOGIN_FAILED,
        object_type="audit.user",
        object_repr=username,
        district_id=district_id,
    )
