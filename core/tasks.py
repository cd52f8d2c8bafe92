"""Celery entry points of the job runner, and queueing a recorded run."""

import datetime as dt
import threading

from celery import shared_task
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from .jobs import job_run_execute
from .models import JobRun
from .services import job_run_create


@shared_task(acks_late=True)
def run_job(run_id: int) -> str:
    return job_run_execute(run_id=run_id).status


def enqueue_job(run: JobRun, *, inline: bool = False) -> None:
    """Queue the run's task after the current transaction commits.

    `inline` runs it right here once committed (management commands, whose operator waits).
    With no broker (embedded mode) Celery runs tasks in-process; a thread keeps
    the request responsive so staff can watch the progress bar.
    """

    def send() -> None:
        if inline:
            job_run_execute(run_id=run.pk)
        elif settings.CELERY_TASK_ALWAYS_EAGER and getattr(settings, "YIBAO_EAGER_IN_THREAD", True):
            threading.Thread(target=_run_in_thread, args=[run.pk], daemon=True).start()
        else:
            run_job.delay(run.pk)

    transaction.on_commit(send)


def _run_in_thread(run_id: int) -> None:
    """The embedded mode's worker thread: run the task, then close this thread's database connection
    (no request ends here to close it; left open it would hold the database, e.g. against a drop)."""
    try:
        run_job.apply(args=[run_id])
    finally:
        connections.close_all()


@shared_task
def housekeeping() -> str:
    """Entry point for celery beat: records a system run, then executes it."""
    run = job_run_create(actor=None, kind="housekeeping")
    return job_run_execute(run_id=run.pk).status


# Parameters a schedule may give relative to the day it fires, resolved when it runs.
RELATIVE_YEARS = {"current_year": 0, "previous_year": -1, "next_year": 1}


def resolve_params(params: dict, *, today: dt.date) -> dict:
    """{"year": "previous_year"} -> {"year": 2025}; {"last_days": 30} -> {"start": ..., "end": ...}."""
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
    run = job_run_create(actor=None, kind=kind, params=resolve_params(params or {}, today=timezone.localdate()))
    return job_run_execute(run_id=run.pk).status
