from django import template

from core.jobs import job_label as _job_label

register = template.Library()


@register.filter
def job_label(kind: str) -> str:
    """A job kind as staff read it (批处理 lists show names, not codes)."""
    return _job_label(kind)
