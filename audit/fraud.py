"""疑点筛查 (fraud_scan): run the active 智能监控规则 over a date window in four set-based passes (see
`fraud_passes`): one read sorted by person for the rules about a person's settlements, one read of the stays,
one plain read for the rules about one settlement, and the settlements of the persons with care elsewhere.
A scan of some rules only builds the passes of those rules.

Idempotent: a rule hits a settlement once (unique (rule, settlement)), so a re-run or an overlapping window
adds only new hits. Counts are per rule code; the JobRun records them and the progress per pass.
The one-statement-per-rule builders of `fraud_sql` stay as the reference the passes are checked against
(`reference_hits`, used by the tests and the bench).
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
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

from . import fraud_passes
from .fraud_sql import BUILDERS, Dialect

MAX_WINDOW_DAYS = 366 * 3
FEN = Decimal("0.01")
WORK_MEM = "256MB"  # per sort or hash node of one pass; at most YIBAO_BATCH_WORKERS passes run at a time


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


# Each rule kind's pass and its share of it.
PASS_OF = {
    **{kind: ("person", builder) for kind, builder in fraud_passes.PERSON_PARTS.items()},
    **{kind: ("stay", builder) for kind, builder in fraud_passes.STAY_PARTS.items()},
    **{kind: ("filter", builder) for kind, builder in fraud_passes.FILTER_PARTS.items()},
    **{kind: ("away", builder) for kind, builder in fraud_passes.AWAY_PARTS.items()},
}


def scan_passes(
    *, rules: list[FraudRule], start: dt.date, end: dt.date, run_id: int | None, slices: int = 1
) -> list[tuple[str, dict[str, Any]]]:
    """The passes (SQL and parameters) that run `rules`; a rule with bad parameters is a clear error.

    With `slices` > 1 the person pass is cut into that many statements by person (person_id modulo slices):
    its rules look at one person's settlements at a time, so the slices find between them exactly what one
    statement finds, and each sorts a part of the year on its own connection (side by side)."""
    d = Dialect(connection.vendor)
    values: dict[str, Any] = {"start": start, "end": end}
    passes: dict[str, list[tuple[FraudRule, fraud_passes.Part]]] = {k: [] for k in ("person", "stay", "filter", "away")}
    for i, rule in enumerate(rules):
        params = rule.params if isinstance(rule.params, dict) else {}
        which, builder = PASS_OF[rule.kind]
        binds = fraud_passes.Binds(values, f"p{i}_")
        try:
            part = builder(i, int(rule.pk), params, d, binds, "%(start)s", "%(end)s")
        except ValidationError as exc:
            raise ValidationError({"rule": f"规则 {rule.code} 参数错误：{'；'.join(exc.messages)}"}) from None
        passes[which].append((rule, part))
    person, stays, filtered, away = ([part for _, part in passes[k]] for k in ("person", "stay", "filter", "away"))
    coverage = any(rule.kind == "after_end_or_death" for rule, _ in passes["filter"])
    cuts = [f"s.person_id %% {slices} = {k}" for k in range(slices)] if slices > 1 else ["1 = 1"]
    # Only the person pass is cut: it sorts the year. The others read it once and keep a few rows; cut, each
    # slice would read the whole year again for half the rows. They run after the slices, side by side.
    sqls = [fraud_passes.person_pass(person, d, cut=cut) for cut in cuts if person]
    sqls += [fraud_passes.stay_pass(stays)] if stays else []
    sqls += [fraud_passes.filter_pass(filtered, d, coverage=coverage)] if filtered else []
    sqls += [fraud_passes.away_pass(away, d)] if away else []
    values.update(run=run_id, now=connection.ops.adapt_datetimefield_value(timezone.now()))
    values = {k: connection.ops.adapt_datefield_value(v) if type(v) is dt.date else v for k, v in values.items()}
    return [(sql, values) for sql in sqls]


def pass_settings(cursor) -> None:
    """Room to sort the year in memory. Every join of a pass is an equality over two sets, which a nested loop
    would repeat per row when statistics (analyzed while empty, or at 1%) say "few rows". And a pass has
    hundreds of expressions: compiling them (JIT) took 12 s of a 14 s pass at 1M rows."""
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute("SET LOCAL enable_nestloop = off")
        # A narrow read of the year (the person pass without the over-cap rule's policy join) is ordered by
        # person already in the person index, and the planner prefers walking it to sorting: 5M rows fetched
        # one by one, 38 s for two rules instead of 6. Bitmap scans still fetch the kept rows by id.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL jit = off")


def _run_pass(sql: str, values: dict[str, Any]) -> Counter:
    """One pass in its own transaction; the new suspicions per rule id."""
    with transaction.atomic(), connection.cursor() as cursor:
        pass_settings(cursor)
        cursor.execute(sql, values)
        return Counter(rule_id for (rule_id,) in cursor.fetchall())


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
    workers = batch_workers()
    passes = scan_passes(rules=rules, start=start, end=end, run_id=run_id, slices=workers)
    found: Counter = Counter()
    finished = 0

    def run(sql: str, values: dict) -> None:
        nonlocal finished
        found.update(_run_pass(sql, values))
        finished += 1
        if progress:
            progress(done=finished, total=len(passes))

    # Passes write different rules' suspicions, and slices different persons': they may run side by side.
    run_side_by_side(run, passes, workers=workers)
    counts = {rule.code: found[rule.pk] for rule in rules}
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


class _Discard(Exception):
    pass


def reference_hits(*, start: Any, end: Any, rule_codes: Iterable[str] | None = None) -> set[tuple]:
    """What the one-statement-per-rule builders find, as (rule id, settlement id, amount, detail); writes
    nothing (run on an empty suspicion table of those rules, then rolled back). The passes must find the same."""
    start, end = scan_window(start=start, end=end)
    rules = scan_rules(rule_codes=rule_codes)
    found: set[tuple] = set()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            ids = [r.pk for r in rules]
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(f"DELETE FROM audit_suspicion WHERE rule_id IN ({marks})", ids)  # noqa: S608
            for rule in rules:
                cursor.execute(*rule_statement(rule=rule, start=start, end=end, run_id=None))
            cursor.execute(
                f"SELECT rule_id, settlement_id, amount, detail FROM audit_suspicion WHERE rule_id IN ({marks})",  # noqa: S608
                ids,
            )
            found = {(r, s, Decimal(str(a)).quantize(FEN), d) for r, s, a, d in cursor}
            raise _Discard
    except _Discard:
        pass
    return found


def fraud_scan_start(
    *, actor: User | None, start: Any, end: Any, rule_codes: Iterable[str] | None = None, inline: bool = False
) -> JobRun:
    """Check everything first (bad input creates nothing), then record a JobRun and queue it."""
    _require_scan(actor)
    start, end = scan_window(start=start, end=end)
    rules = scan_rules(rule_codes=rule_codes)
    scan_passes(rules=rules, start=start, end=end, run_id=None)
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
