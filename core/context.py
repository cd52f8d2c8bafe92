"""Request context (client IP) for audit events written deep inside services."""

import ipaddress
from contextvars import ContextVar

from django.conf import settings

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address that reached us; X-Forwarded-For counts only when it came through our own proxy.

    Walks the forwarded chain from the right, skipping the configured proxies, so a client cannot
    write its own address into the audit trail by sending the header itself.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR") or "")
    trusted = set(getattr(settings, "YIBAO_TRUSTED_PROXIES", ()))
    if remote is None or remote not in trusted:
        return remote
    hops = [h for h in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _valid_ip(hop)
        if address is None:
            return None
        if address not in trusted:
            return address
    return remote
