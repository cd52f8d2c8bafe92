"""Batch jobs: the registry of job kinds and the runner that records every run.

Each app registers its kinds explicitly in its `AppConfig.ready()` with `register_jobs`; the floor
knows no app above it. A job function takes `run_id` and keyword parameters, reports progress with
`job_run_progress`, returns a dict of counts, and must be idempotent: running it again for the same
parameters changes nothing. Queueing lives in `core.tasks` (it needs the Celery task).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.functional import Promise

from .models import JobRun
from .services import job_run_finish, job_run_progress, job_run_start

JobFunction = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    """A kind of batch job. `start` says whether staff start it from the jobs page: "" (no),
    "plain" (no parameters) or "year" (for one year). `default_year`, for "year" jobs, gives the
    year the form offers first (the app that registers the job knows which years have data)."""

    kind: str
    func: JobFunction
    label: str | Promise
    start: str = ""
    default_year: Callable[[], int] | None = None


REGISTRY: dict[str, JobKind] = {}


def register_jobs(*kinds: JobKind) -> None:
    for job in kinds:
        known = REGISTRY.get(job.kind)
        if known is not None and known.func is not job.func:
            raise ImproperlyConfigured(f"job kind {job.kind!r} registered twice")
        REGISTRY[job.kind] = job


def job_label(kind: str) -> str:
    """What staff read for a job kind; an unknown kind shows as itself."""
    job = REGISTRY.get(kind)
    return str(job.label) if job else kind


def job_run_execute(*, run_id: int) -> JobRun:
    """Run a recorded job once; a run that already succeeded is not run again."""
    run = JobRun.objects.get(pk=run_id)
    if run.status == JobRun.Status.SUCCEEDED:
        return run
    job = REGISTRY.get(run.kind)
    if job is None:
        job_run_finish(run_id=run_id, counts=None, error=f"unknown job kind {run.kind!r}")
        raise LookupError(f"unknown job kind {run.kind!r}")
    job_run_start(run_id=run_id)
    try:
        counts = job.func(run_id=run_id, **run.params)
    except Exception as exc:
        job_run_finish(run_id=run_id, counts=None, error=f"{type(exc).__name__}: {exc}")
        raise
    job_run_finish(run_id=run_id, counts=counts)
    run.refresh_from_db()
    return run


def housekeeping(*, run_id: int) -> dict[str, Any]:
    """Nightly: drop expired sessions and lockout counters older than the cool-off."""
    now = timezone.now()
    job_run_progress(run_id=run_id, done=0, total=2)
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    job_run_progress(run_id=run_id, done=1)
    cutoff = now - (settings.AXES_COOLOFF_TIME or timedelta(days=1))
    attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    job_run_progress(run_id=run_id, done=2)
    return {"expired_sessions_deleted": sessions, "stale_login_attempts_deleted": attempts}
