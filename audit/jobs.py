"""Batch jobs: a registry of job kinds, the runner that records every run, and enqueueing.

A job function takes `run_id` and keyword parameters, reports progress with
`job_run_progress`, returns a dict of counts, and must be idempotent: running
it again for the same parameters changes nothing.
"""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from .models import JobRun
from .services import job_run_finish, job_run_progress, job_run_start

JobFunction = Callable[..., dict[str, Any]]
REGISTRY: dict[str, JobFunction] = {}


def register_job(kind: str) -> Callable[[JobFunction], JobFunction]:
    def decorator(func: JobFunction) -> JobFunction:
        REGISTRY[kind] = func
        return func

    return decorator


def job_run_execute(*, run_id: int) -> JobRun:
    """Run a recorded job once; a run that already succeeded is not run again."""
    run = JobRun.objects.get(pk=run_id)
    if run.status == JobRun.Status.SUCCEEDED:
        return run
    func = REGISTRY[run.kind]
    job_run_start(run_id=run_id)
    try:
        counts = func(run_id=run_id, **run.params)
    except Exception as exc:
        job_run_finish(run_id=run_id, counts=None, error=f"{type(exc).__name__}: {exc}")
        raise
    job_run_finish(run_id=run_id, counts=counts)
    run.refresh_from_db()
    return run


def enqueue_job(run: JobRun, *, inline: bool = False) -> None:
    """Queue the run's task after the current transaction commits.

    `inline` runs it right here once committed (management commands, whose operator waits).
    With no broker (embedded mode) Celery runs tasks in-process; a thread keeps
    the request responsive so staff can watch the progress bar.
    """
    from .tasks import run_job

    def send() -> None:
        if inline:
            job_run_execute(run_id=run.pk)
        elif settings.CELERY_TASK_ALWAYS_EAGER and getattr(settings, "YIBAO_EAGER_IN_THREAD", True):
            threading.Thread(target=run_job.apply, kwargs={"args": [run.pk]}, daemon=True).start()
        else:
            run_job.delay(run.pk)

    transaction.on_commit(send)


@register_job("housekeeping")
def housekeeping(*, run_id: int) -> dict[str, Any]:
    """Nightly: drop expired sessions and lockout counters older than the cool-off."""
    from axes.models import AccessAttempt

    now = timezone.now()
    job_run_progress(run_id=run_id, done=0, total=2)
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    job_run_progress(run_id=run_id, done=1)
    cutoff = now - (settings.AXES_COOLOFF_TIME or timedelta(days=1))
    attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    job_run_progress(run_id=run_id, done=2)
    return {"expired_sessions_deleted": sessions, "stale_login_attempts_deleted": attempts}
