"""Shared options of the enrollment management commands."""

from django.core.management.base import CommandError

from audit.models import User
from enrollment.models import District


def resolve_actor(username: str | None) -> User | None:
    """Operators may act as a named staff user, so the audit trail names a person; else the system."""
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user


def resolve_district(code: str | None) -> int | None:
    if not code:
        return None
    district = District.objects.filter(code=code).first()
    if district is None:
        raise CommandError(f"unknown district code {code!r}")
    return district.pk
