"""疑点筛查 (fraud_scan): run the active 智能监控规则 over a date window, one set-based statement per rule.

Idempotent: a rule hits a settlement once (unique (rule, settlement)), so a re-run or an overlapping window
adds only new hits. Counts are per rule code; the JobRun records them and the progress per rule.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from audit.models import FraudRule
from core.forms import DATE_YEAR_MAX, DATE_YEAR_MIN
from core.models import AuditEvent, JobRun, User
from core.parallel import batch_workers, run_side_by_side
from core.roles import Capability
from core.services import audit_event_record, job_run_create, job_run_progress
from core.tasks import enqueue_job

from .fraud_sql import BUILDERS, Dialect

MAX_WINDOW_DAYS = 366 * 3
WORK_MEM = "256MB"  # per sort or hash node of one scan statement; the scan runs one statement at a time


def can_scan(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.has_capability(Capability.SUPERVISE) or user.has_capability(Capability.ADMINISTER)
    )


def _require_scan(actor: User | None) -> None:
    """The system (actor None: commands, beat) may scan; staff need supervise or administer."""
    if actor is not None and not can_scan(actor):
        raise PermissionDenied("您的角色无权执行疑点筛查。")


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: "日期格式应为 YYYY-MM-DD"}) from None


def scan_window(*, start: Any, end: Any) -> tuple[dt.date, dt.date]:
    """Both dates within 1900..2100: a rule looks back from `start` (e.g. the cash-out rule's window),
    and 0001-01-01 minus a few days is before the first date Python and SQL know."""
    start, end = _date(start, "start"), _date(end, "end")
    for field, value in (("start", start), ("end", end)):
        if not DATE_YEAR_MIN <= value.year <= DATE_YEAR_MAX:
            raise ValidationError({field: f"日期年份应在{DATE_YEAR_MIN}至{DATE_YEAR_MAX}之间"})
    if end < start:
        raise ValidationError({"end": "截止日期不能早于开始日期"})
    if (end - start).days > MAX_WINDOW_DAYS:
        raise ValidationError({"end": "一次筛查的日期范围不能超过三年"})
    return start, end


def scan_rules(*, rule_codes: Iterable[str] | None) -> list[FraudRule]:
    """The active rules, or the named ones (which must exist and be active)."""
    if not rule_codes:
        return list(FraudRule.objects.filter(active=True).order_by("code"))
    codes = sorted(set(rule_codes))
    rules = {r.code: r for r in FraudRule.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in rules]
    if missing:
        raise ValidationError({"rule": f"规则编码不存在：{'、'.join(missing)}"})
    inactive = [c for c in codes if not rules[c].active]
    if inactive:
        raise ValidationError({"rule": f"规则已停用：{'、'.join(inactive)}"})
    return [rules[c] for c in codes]


def rule_statement(*, rule: FraudRule, start: dt.date, end: dt.date, run_id: int | None) -> tuple[str, dict]:
    """The rule's INSERT..SELECT and its parameters; a rule with bad parameters is a clear error."""
    values: dict[str, Any] = {"start": start, "end": end}
    params = rule.params if isinstance(rule.params, dict) else {}
    try:
        sql = BUILDERS[rule.kind](params, Dialect(connection.vendor), values)
    except ValidationError as exc:
        raise ValidationError({"rule": f"规则 {rule.code} 参数错误：{'；'.join(exc.messages)}"}) from None
    values.update(rule=rule.pk, run=run_id, now=connection.ops.adapt_datetimefield_value(timezone.now()))
    return sql, {k: connection.ops.adapt_datefield_value(v) if type(v) is dt.date else v for k, v in values.items()}


def _inserted(cursor) -> int:
    """Rows the last INSERT added. Python's sqlite3 reports no rowcount for a statement that starts with
    WITH, so SQLite is asked directly."""
    if connection.vendor == "sqlite":
        cursor.execute("SELECT changes()")
        return cursor.fetchone()[0]
    return max(cursor.rowcount, 0)


def fraud_scan(
    *,
    actor: User | None,
    start: Any,
    end: Any,
    rule_codes: Iterable[str] | None = None,
    run_id: int | None = None,
    progress: Callable[..., None] | None = None,
) -> dict[str, int]:
    """Insert the suspicions of each rule over [start, end]; returns new hits per rule code and "created"."""
    _require_scan(actor)
    start, end = scan_window(start=start, end=end)
    rules = scan_rules(rule_codes=rule_codes)
    statements = [(rule, *rule_statement(rule=rule, start=start, end=end, run_id=run_id)) for rule in rules]
    counts: dict[str, int] = {}
    finished = 0

    def run(rule: FraudRule, sql: str, values: dict) -> None:
        nonlocal finished
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # room to hash and sort a year of settlements in memory
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute(sql, values)
            counts[rule.code] = _inserted(cursor)
        finished += 1
        if progress:
            progress(done=finished, total=len(statements))

    # Rules are independent (each writes only its own suspicions), so they may run side by side.
    run_side_by_side(run, statements, workers=batch_workers())
    counts = {rule.code: counts[rule.code] for rule, _, _ in statements}
    counts["created"] = sum(counts.values())
    with transaction.atomic():
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.JOB,
            object_type="audit.suspicion",
            object_repr=f"疑点筛查 {start}至{end}",
            new_values={
                "kind": "fraud_scan",
                "start": start.isoformat(),
                "end": end.isoformat(),
                "run_id": run_id,
                "counts": counts,
            },
        )
    return counts


def fraud_scan_start(
    *, actor: User | None, start: Any, end: Any, rule_codes: Iterable[str] | None = None, inline: bool = False
) -> JobRun:
    """Check everything first (bad input creates nothing), then record a JobRun and queue it."""
    _require_scan(actor)
    start, end = scan_window(start=start, end=end)
    rules = scan_rules(rule_codes=rule_codes)
    for rule in rules:
        rule_statement(rule=rule, start=start, end=end, run_id=None)
    params = {"start": start.isoformat(), "end": end.isoformat(), "rule_codes": sorted(rule_codes or [])}
    run = job_run_create(actor=actor, kind="fraud_scan", params=params)
    enqueue_job(run, inline=inline)
    return run


def fraud_scan_job(*, run_id: int, start: str, end: str, rule_codes: list[str] | None = None) -> dict[str, Any]:
    run = JobRun.objects.select_related("started_by").get(pk=run_id)

    def progress(*, done: int, total: int) -> None:
        job_run_progress(run_id=run_id, done=done, total=total)

    return fraud_scan(
        actor=run.started_by, start=start, end=end, rule_codes=rule_codes, run_id=run_id, progress=progress
    )
