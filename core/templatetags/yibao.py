from functools import cache

from django import template
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

from core.jobs import job_counts_display
from core.jobs import job_label as _job_label

register = template.Library()


@register.filter
def job_label(kind: str) -> str:
    """A job kind as staff read it (批处理 lists show names, not codes)."""
    return _job_label(kind)


@register.filter
def job_counts(record) -> list[tuple[str, str]]:
    """A job run's counts (or a dict of counts) as (label, value) pairs in words, never a dict."""
    if isinstance(record, dict):
        return job_counts_display(record)
    return job_counts_display(record.counts, kind=record.kind)


@register.filter
def staff_name(user) -> str:
    """Who did it, as staff read it: the name, else the login; "—" for the system itself (no user)."""
    if user is None or user == "":
        return "—"
    return user.first_name or user.username


@cache
def _choice_labels(field, language: str | None) -> dict:
    return {make_hashable(value): str(label) for value, label in field.flatchoices}


@register.filter
def choice(record, name: str):
    """What `record.get_<name>_display` shows, from labels built once per field and language: Django's own
    rebuilds the field's choices and translates every label on each call, which a list pays per row."""
    field = record._meta.get_field(name)
    value = getattr(record, field.attname)
    return _choice_labels(field, get_language()).get(make_hashable(value), value)
