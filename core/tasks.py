"""Celery entry points of the job runner, and queueing a recorded run."""

import datetime as dt
import threading

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from .jobs import HIDDEN_COUNTS, REGISTRY, job_run_execute, job_runs_reap
from .models import AuditEvent, JobRun, User
from .services import audit_event_record, job_run_create


@shared_task(acks_late=True)
def run_job(run_id: int, attempt: int | None = None) -> str:
    """Execute a queued run. A message delivered again (Redis hands out an unacknowledged message once its
    visibility timeout has passed, or at once when Celery saw the worker lost) runs the run only if it is
    still this queueing's and unfinished: a run failed meanwhile (reaped) or queued again is left alone.
    A running run delivered again is resumed: its worker died (see `job_run_execute`'s lock)."""
    run = JobRun.objects.filter(pk=run_id).only("status", "attempt").first()
    if run is None:
        return "missing"
    if attempt is not None and run.attempt != attempt:
        return "superseded"
    if run.status not in (JobRun.Status.QUEUED, JobRun.Status.RUNNING):
        return run.status
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
            run_job.delay(run.pk, run.attempt)

    transaction.on_commit(send)


def job_run_resumable(run: JobRun) -> bool:
    """A failed run that wrote a checkpoint (e.g. the year's collection) continues from it (继续)."""
    return any(key in HIDDEN_COUNTS for key in (run.counts or {}))


def job_run_retry(*, actor: User | None, run: JobRun) -> JobRun:
    """重试/继续 a failed run from its page: a run with a checkpoint is queued again itself and continues
    from it; any other (every job is idempotent) is run again as a new run with the same parameters.
    Runs that drive an import batch are retried from the batch's page instead. Audited."""
    job = REGISTRY.get(run.kind)
    if run.status != JobRun.Status.FAILED or job is None or "batch_id" in (run.params or {}):
        raise ValidationError({"status": "只有失败的批处理可以在此重试"})
    with transaction.atomic():
        if not job_run_resumable(run):
            again = job_run_create(actor=actor, kind=run.kind, params=run.params, district_id=run.district_id)
            audit_event_record(
                actor=actor, action=AuditEvent.Action.JOB, obj=run, new_values={"retried_as": again.pk}, note="重试"
            )
            enqueue_job(again)
            return again
        requeued = JobRun.objects.filter(pk=run.pk, status=JobRun.Status.FAILED).update(
            status=JobRun.Status.QUEUED, attempt=F("attempt") + 1, error="", finished_at=None
        )
        if not requeued:
            raise ValidationError({"status": "该批处理已在重新执行"})
        run.refresh_from_db()
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.JOB,
            obj=run,
            old_values={"status": JobRun.Status.FAILED},
            new_values={"status": JobRun.Status.QUEUED, "attempt": run.attempt, **run.params},
            note="从检查点继续",
        )
        enqueue_job(run)
    return run


@shared_task
def reap_stale_jobs() -> int:
    """Entry point for celery beat (every minute): fail the runs whose worker died (core.jobs.job_runs_reap)."""
    return len(job_runs_reap())


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
