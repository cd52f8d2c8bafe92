from celery import shared_task

from .jobs import job_run_execute
from .services import job_run_create


@shared_task(acks_late=True)
def run_job(run_id: int) -> str:
    return job_run_execute(run_id=run_id).status


@shared_task
def housekeeping() -> str:
    """Entry point for celery beat: records a system run, then executes it."""
    run = job_run_create(actor=None, kind="housekeeping")
    return job_run_execute(run_id=run.pk).status


# Parameters a schedule may give relative to the day it fires, resolved when it runs.
RELATIVE_YEARS = {"current_year": 0, "previous_year": -1, "next_year": 1}


def resolve_params(params: dict, *, today) -> dict:
    """{"year": "previous_year"} -> {"year": 2025}; {"last_days": 30} -> {"start": ..., "end": ...}."""
    import datetime as dt

    resolved = dict(params)
    for key, value in params.items():
        if value in RELATIVE_YEARS:
            resolved[key] = today.year + RELATIVE_YEARS[value]
    if "last_days" in resolved:
        days = int(resolved.pop("last_days"))
        resolved["start"] = (today - dt.timedelta(days=days)).isoformat()
        resolved["end"] = (today - dt.timedelta(days=1)).isoformat()
    return resolved


@shared_task
def scheduled_job(kind: str, params: dict | None = None) -> str:
    """Entry point for celery beat: any registered job, recorded as a system run like one started by hand."""
    from django.utils import timezone

    run = job_run_create(actor=None, kind=kind, params=resolve_params(params or {}, today=timezone.localdate()))
    return job_run_execute(run_id=run.pk).status
