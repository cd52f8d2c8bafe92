"""Batch jobs: the registry of job kinds and the runner that records every run.

Each app registers its kinds explicitly in its `AppConfig.ready()` with `register_jobs`; the floor
knows no app above it. A job function takes `run_id` and keyword parameters, reports progress with
`job_run_progress`, returns a dict of counts, and must be idempotent: running it again for the same
parameters changes nothing. Queueing lives in `core.tasks` (it needs the Celery task).
"""

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .failures import failure_text
from .models import AuditEvent, ImportBatch, JobRun
from .services import audit_event_record, job_run_finish, job_run_progress, job_run_start

logger = logging.getLogger(__name__)

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
    """Run a recorded job once; a run that already succeeded is not run again.

    While it runs, the run holds its execution lock (PostgreSQL) and beats its heartbeat (`_executing`):
    a second delivery of the same run waits for the first executor, then finds it finished."""
    run = JobRun.objects.get(pk=run_id)
    if run.status == JobRun.Status.SUCCEEDED:
        return run
    job = REGISTRY.get(run.kind)
    if job is None:
        problem = LookupError(f"unknown job kind {run.kind!r}")
        job_run_finish(run_id=run_id, counts=None, error=failure_text(problem, context=f"job run {run_id}"))
        raise problem
    seen = run.status
    with _executing(run_id):
        run.refresh_from_db()
        if run.status == JobRun.Status.SUCCEEDED or run.status != seen:
            return run  # a duplicate delivery that waited for the executor it duplicated: that one decided
        job_run_start(run_id=run_id)
        try:
            counts = job.func(run_id=run_id, **run.params)
        except Exception as exc:
            # Staff read a sentence; an unexpected failure's traceback goes to the log under its error number.
            job_run_finish(
                run_id=run_id, counts=None, error=failure_text(exc, context=f"job run {run_id} ({run.kind})")
            )
            raise
        job_run_finish(run_id=run_id, counts=counts)
    run.refresh_from_db()
    return run


# Stuck work. A run executes holding a PostgreSQL session advisory lock (key: this namespace and the
# run's id) and beating its heartbeat. A worker killed with kill -9 beats no more, and PostgreSQL drops
# its lock when its connection goes; so "running, heartbeat older than YIBAO_JOB_STALE_SECONDS, lock
# free" means the worker died. Such a run is failed in words and its import batch made actionable again.
# A run busy inside one long transaction (whose heartbeat cannot be seen until it commits) still holds
# its lock, so it is never taken for dead. SQLite (the embedded demo) has no such locks: heartbeat only.
_LOCK_NAMESPACE = 0x59424A  # "YBJ"


def _lock_key(run_id: int) -> tuple[int, int]:
    return _LOCK_NAMESPACE, run_id & 0x7FFFFFFF


def heartbeat_seconds() -> float:
    return float(getattr(settings, "YIBAO_JOB_HEARTBEAT_SECONDS", 30))


def stale_seconds() -> float:
    return float(getattr(settings, "YIBAO_JOB_STALE_SECONDS", 300))


def _beat(run_id: int) -> None:
    """One heartbeat from the beating thread (its own connection). A run row locked by the job's own
    long transaction is skipped rather than waited for: that transaction is alive, and holds the lock."""
    running = JobRun.objects.filter(pk=run_id, status=JobRun.Status.RUNNING)
    if connection.vendor != "postgresql":  # SQLite: one short write, waiting its turn (busy timeout)
        running.update(heartbeat_at=timezone.now())
        return
    with transaction.atomic():
        if list(running.select_for_update(skip_locked=True).values_list("pk", flat=True)):
            JobRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())


def _heartbeat_loop(run_id: int, stop: threading.Event, every: float) -> None:
    try:
        while not stop.wait(every):
            try:
                _beat(run_id)
            except Exception:  # noqa: BLE001  (a missed beat must never take the job down)
                logger.warning("job run %s: heartbeat not written", run_id, exc_info=True)
    finally:
        connections.close_all()  # this thread's connection only (connections are per thread)


@contextlib.contextmanager
def _executing(run_id: int) -> Iterator[None]:
    """Hold the run's execution lock and beat its heartbeat while the body runs."""
    locked = connection.vendor == "postgresql"
    if locked:
        with connection.cursor() as cursor:
            # Blocks while another live executor has the run (a duplicate delivery); a dead one's
            # connection is gone, and with it the lock.
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", _lock_key(run_id))
    stop = threading.Event()
    every = heartbeat_seconds()
    beating = None
    if every > 0:
        beating = threading.Thread(
            target=_heartbeat_loop, args=[run_id, stop, every], name=f"heartbeat-{run_id}", daemon=True
        )
        beating.start()
    try:
        yield
    finally:
        stop.set()
        if beating is not None:
            beating.join(timeout=10)
        if locked:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _lock_key(run_id))
            except Exception:  # noqa: BLE001  (a broken connection has dropped the lock already)
                logger.warning("job run %s: execution lock not released", run_id, exc_info=True)


def _runs_executing() -> set[int]:
    """Run ids (as lock keys) whose execution lock some live connection to this database holds."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
            "AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [_LOCK_NAMESPACE],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def _stale_filter(cutoff: datetime) -> Q:
    return Q(status=JobRun.Status.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )


def job_run_looks_stale(run: JobRun, *, now: datetime | None = None) -> bool:
    """No query: is this running run's last heartbeat older than the stale time? (Pages ask before reaping.)"""
    if run.status != JobRun.Status.RUNNING:
        return False
    last = run.heartbeat_at or run.started_at
    return last is None or last < (now or timezone.now()) - timedelta(seconds=stale_seconds())


STALE_MESSAGE = _("处理该任务的进程已中断（最后心跳 {last}），数据未受影响，可重试")
STALE_BATCH_IMPORTING = _(
    "导入进程已中断（最后心跳 {last}）：未完成的部分已回滚，数据未受影响。请重新确认导入或取消该批次；"
    "重新导入时已写入的行不会重复写入。"
)
STALE_BATCH_CHECKING = _("校验进程已中断（最后心跳 {last}），未写入任何数据。请点“重试”重新校验。")


def job_runs_reap(*, run_id: int | None = None, now: datetime | None = None) -> list[int]:
    """Fail every running run whose worker died (or only `run_id`); return their ids.

    One indexed query when nothing is stale. For each dead run: the run becomes failed with a sentence
    naming its last heartbeat (its checkpoint kept, for 继续), its import batch, if the run was driving one,
    goes back to a state staff can act on (an apply: 待确认; a check: 失败, with 重试), and both are audited."""
    now = now or timezone.now()
    stale = JobRun.objects.filter(_stale_filter(now - timedelta(seconds=stale_seconds())))
    if run_id is not None:
        stale = stale.filter(pk=run_id)
    candidates = list(stale.values_list("pk", flat=True)[:100])
    if not candidates:
        return []
    executing = _runs_executing()
    reaped = []
    for pk in candidates:
        if pk & 0x7FFFFFFF in executing:
            continue  # alive (or its last statement still finishing): not dead yet
        if _reap_one(pk, now=now):
            reaped.append(pk)
    return reaped


@transaction.atomic
def _reap_one(run_id: int, *, now: datetime) -> bool:
    cutoff = now - timedelta(seconds=stale_seconds())
    run = JobRun.objects.select_for_update(skip_locked=True).filter(_stale_filter(cutoff), pk=run_id).first()
    if run is None:
        return False  # finished or beat meanwhile, or its row is locked by a live transaction
    last_beat = run.heartbeat_at or run.started_at
    last = timezone.localtime(last_beat).strftime("%Y-%m-%d %H:%M:%S") if last_beat else "—"
    error = str(STALE_MESSAGE).format(last=last)
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.FAILED, finished_at=now, error=error)
    audit_event_record(
        actor=None,
        action=AuditEvent.Action.STATUS,
        obj=run,
        old_values={"status": JobRun.Status.RUNNING},
        new_values={"status": JobRun.Status.FAILED},
        note=error,
    )
    batch = ImportBatch.objects.select_for_update().filter(job_run_id=run.pk).first()
    Status = ImportBatch.Status
    if batch is not None and batch.status in (Status.IMPORTING, Status.VALIDATING, Status.UPLOADED):
        # An apply that died wrote nothing it had not committed, and a re-run skips what it had: the
        # batch goes back to the preview. A check that died goes to 失败, from which it is run again.
        to, text = (
            (Status.VALIDATED, STALE_BATCH_IMPORTING)
            if batch.status == Status.IMPORTING
            else (Status.FAILED, STALE_BATCH_CHECKING)
        )
        note = str(text).format(last=last)
        ImportBatch.objects.filter(pk=batch.pk).update(status=to, error=note, updated_at=now)
        audit_event_record(
            actor=None,
            action=AuditEvent.Action.STATUS,
            obj=batch,
            old_values={"status": batch.status},
            new_values={"status": to},
            note=note,
        )
    logger.warning("job run %s (%s): worker lost, last heartbeat %s; marked failed", run.pk, run.kind, last)
    return True


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
