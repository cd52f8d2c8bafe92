"""The job kind of 异地就医清算: generate the statements of a month (by default the previous one) for every
counterpart area. Idempotent: a re-run redrafts drafts to the same figures and leaves confirmed ones."""

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import JobRun
from core.services import job_run_progress

from .services.clearing import clearing_generate

KIND = "remote_clearing"
COUNT_LABELS = {
    "month": _("清算月份"),
    "areas": _("有业务的对方统筹区"),
    "generated": _("生成（待确认）的清算单"),
    "unchanged": _("已确认或已清算而未改动的清算单"),
    "lines": _("清算明细"),
}


def previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def remote_clearing(*, run_id: int, month: str | None = None, area_code: str | None = None) -> dict[str, Any]:
    run = JobRun.objects.select_related("started_by").get(pk=run_id)
    counts = clearing_generate(
        actor=run.started_by, month=month or previous_month(timezone.localdate()), area_code=area_code or None
    )
    job_run_progress(run_id=run_id, done=1, total=1)
    return counts
