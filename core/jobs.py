"""Batch jobs: the registry of job kinds and the runner that records every run.

Each app registers its kinds explicitly in its `AppConfig.ready()` with `register_jobs`; the floor
knows no app above it. A job function takes `run_id` and keyword parameters, reports progress with
`job_run_progress`, returns a dict of counts, and must be idempotent: running it again for the same
parameters changes nothing. Queueing lives in `core.tasks` (it needs the Celery task).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .failures import failure_text
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
    """What staff read for a job kind; an unknown kind (a job since removed) reads as a generic name."""
    job = REGISTRY.get(kind)
    return str(job.label) if job else str(_("批处理任务"))


def job_default_year(kind: str, *, today_year: int) -> int:
    """The year a "year" job's form offers first: the registering app's choice, else this year."""
    job = REGISTRY.get(kind)
    if job is not None and job.default_year is not None:
        try:
            return int(job.default_year())
        except Exception:  # noqa: BLE001  (a broken default must not take the jobs page down)
            return today_year
    return today_year


# What staff read for a job's counts. The keys are what job functions return; the floor knows the
# common ones, and an app adds its own with `register_count_labels` (a mapping, or a function of the key
# for keys made of data, such as fraud rule codes). A key without a label reads as "其他计数".
COUNT_LABELS: dict[str, str | Promise] = {
    # every import
    "total_rows": _("总行数"),
    "valid_rows": _("有效行数"),
    "error_rows": _("错误行数"),
    "unchanged": _("已记录（不变）"),
    # enrollee list
    "new_persons": _("将新增参保人"),
    "new_enrollments": _("将新增参保登记"),
    "already_enrolled": _("已参保（不变）"),
    "created_persons": _("新增参保人"),
    "created_enrollments": _("新增参保登记"),
    "moved_persons": _("转入本区县的参保人"),
    "changed_since_preview": _("校验后有变化的行"),
    "skipped_already_enrolled": _("已参保而跳过"),
    # payments
    "payments_created": _("新增缴费记录"),
    "bills_updated": _("更新缴费单"),
    # yearly batches
    "bills_created": _("新增缴费单"),
    "credit_months_scheduled": _("已安排的个人账户划入月份"),
    "graduates_closed": _("毕业生参保终止"),
    "account_credits_made_good": _("补齐的个人账户划入"),
    "standards_carried": _("沿用到下一年度的筹资标准"),
    "aid_policies_carried": _("沿用到下一年度的救助政策"),
    "benefit_lines_carried": _("沿用到下一年度的待遇政策条目"),
    "credit_rules_carried": _("沿用到下一年度的个人账户划入规则"),
    # housekeeping
    "expired_sessions_deleted": _("清除的过期会话"),
    "stale_login_attempts_deleted": _("清除的过期登录失败记录"),
    # generic
    "created": _("新增"),
    "updated": _("更新"),
    "written": _("写入"),
    "credited": _("划入人次"),
    "year": _("年度"),
}
# Bookkeeping a job keeps for resuming (not a figure staff need).
HIDDEN_COUNTS = {"after"}
_KIND_LABELS: dict[str, dict[str, str | Promise]] = {}
_LABEL_RESOLVERS: dict[str, Callable[[str], str | Promise | None]] = {}


def register_count_labels(
    labels: Mapping[str, str | Promise] | None = None,
    *,
    kind: str = "",
    resolve: Callable[[str], str | Promise | None] | None = None,
) -> None:
    """Words for count keys: for every job (no `kind`), or for one job kind's keys (`kind`), where the same
    key means something else elsewhere; `resolve(key)` (with `kind`) names keys made of data, e.g. rule
    codes (None: not one of them)."""
    if labels:
        (_KIND_LABELS.setdefault(kind, {}) if kind else COUNT_LABELS).update(labels)
    if resolve is not None:
        if not kind:
            raise ImproperlyConfigured("a count label resolver is registered for one job kind")
        _LABEL_RESOLVERS[kind] = resolve


def count_label(key: str, *, kind: str = "", default: str | Promise | None = None) -> str:
    own = _KIND_LABELS.get(kind, {})
    if key in own:
        return str(own[key])
    resolve = _LABEL_RESOLVERS.get(kind)
    label = resolve(key) if resolve is not None else None
    if label:
        return str(label)
    if key in COUNT_LABELS:
        return str(COUNT_LABELS[key])
    return str(default if default is not None else _("其他计数"))


def _count_value(key: str, value: Any, kind: str) -> str:
    if isinstance(value, bool):
        return str(_("是")) if value else str(_("否"))
    if isinstance(value, int) and key != "year":
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{count_label(k, kind=kind)} {_count_value(k, v, kind)}" for k, v in value.items())
    return str(value)


def job_counts_display(counts: Mapping[str, Any] | None, *, kind: str = "") -> list[tuple[str, str]]:
    """A run's counts as (label, value) pairs staff read, in the job's order; bookkeeping left out."""
    shown = [(key, value) for key, value in (counts or {}).items() if key not in HIDDEN_COUNTS]
    return [(count_label(key, kind=kind), _count_value(key, value, kind)) for key, value in shown]


def job_run_execute(*, run_id: int) -> JobRun:
    """Run a recorded job once; a run that already succeeded is not run again."""
    run = JobRun.objects.get(pk=run_id)
    if run.status == JobRun.Status.SUCCEEDED:
        return run
    job = REGISTRY.get(run.kind)
    if job is None:
        problem = LookupError(f"unknown job kind {run.kind!r}")
        job_run_finish(run_id=run_id, counts=None, error=failure_text(problem, context=f"job run {run_id}"))
        raise problem
    job_run_start(run_id=run_id)
    try:
        counts = job.func(run_id=run_id, **run.params)
    except Exception as exc:
        # Staff read a sentence; an unexpected failure's traceback goes to the log under its error number.
        job_run_finish(run_id=run_id, counts=None, error=failure_text(exc, context=f"job run {run_id} ({run.kind})"))
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
