"""Job kinds of the benefits app, registered with the shared job runner."""

from typing import Any

from core.models import JobRun
from core.services import job_run_progress

from .services import account_credits_post


def account_credits(*, run_id: int, year: int, month: int, district_id: int | None = None) -> dict[str, Any]:
    """个人账户划入 for one month; a re-run or a resumed run credits nobody twice."""
    run = JobRun.objects.select_related("started_by").get(pk=run_id)

    def progress(*, done: int, total: int) -> None:
        job_run_progress(run_id=run_id, done=done, total=total)

    return account_credits_post(
        actor=run.started_by, year=year, month=month, district_id=district_id, progress=progress
    )
