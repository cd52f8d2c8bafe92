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
