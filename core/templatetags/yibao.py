from django import template

from core.choices import choice_label
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


@register.filter
def choice(record, name: str):
    """What `record.get_<name>_display` shows, from labels built once per field and language (core.choices)."""
    return choice_label(record, name)
