"""异地就医清算: the monthly statement with each counterpart area, its moves and its reconciliation.

A statement (Clearing) per counterpart area and month holds one line per settlement and one per reversal:
payable for our insured's direct settlements in that area (the fund shares we owe), receivable for what our
institutions advanced for that area's insured (InboundSettlement). Months are Asia/Shanghai calendar months
of `settled_at` (a settlement) and `reversed_at` (its reversal, negated, on the statement of the month it was
reversed in).

Generation is set-based (INSERT..SELECT per direction, one UPDATE for the totals), one transaction per area:
a killed run leaves whole statements, and a re-run finishes the rest. A draft is regenerated from scratch;
a confirmed or paid statement is never touched again. The unique (settlement, reversal) and (inbound,
reversal) constraints keep a settlement off a second statement; the SQL skips those already cleared.

Status moves draft -> confirmed -> paid through one map; paying posts the statement to the fund books
(source "clearing") in the same transaction.
"""

import datetime as dt
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.access import require_capability
from core.areas import area_code_clean, area_name
from core.ledger import event_post
from core.models import AuditEvent, User
from core.money import to_fen
from core.parallel import batch_workers, run_side_by_side
from core.roles import Capability
from core.services import audit_event_record

from ..models import Clearing

ZERO = Decimal("0.00")
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
Status = Clearing.Status
# Only these moves exist; repeating one (confirm a confirmed statement) changes nothing.
TRANSITIONS = {Status.DRAFT: {Status.CONFIRMED}, Status.CONFIRMED: {Status.PAID}, Status.PAID: set()}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def clearing_month_parse(value: Any, *, field: str = "month") -> dt.date:
    """ "2023-05" (or a date) -> 2023-05-01; anything else is refused in words."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = _MONTH.match(str(value or "").strip())
    if match and 2000 <= int(match[1]) <= 2100 and 1 <= int(match[2]) <= 12:
        return dt.date(int(match[1]), int(match[2]), 1)
    raise ValidationError({field: "清算月份应为“年-月”格式，如 2023-05"})


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_bounds(month: dt.date) -> tuple[Any, Any]:
    """The month's first instant and the next month's, in Shanghai, as the database compares them."""
    start = dt.datetime.combine(month, dt.time.min, tzinfo=TZ)
    end = dt.datetime.combine(next_month(month), dt.time.min, tzinfo=TZ)
    adapt = connection.ops.adapt_datetimefield_value
    return adapt(start), adapt(end)


def require_city_wide_reader(user: Any) -> None:
    """Clearing is the pooling area's business with other areas: city-wide readers only."""
    require_capability(user, Capability.VIEW)
    if not user.is_city_wide:
        raise PermissionDenied("异地就医清算由市级统一办理，区县用户无权查看")


# --- generation -----------------------------------------------------------------------------------------

# Our insured's direct settlements in the area, settled (+) or reversed (-) in the month, not yet on a
# statement with the same reversal flag (see the note on ON CONFLICT below).
PAYABLE = """
INSERT INTO benefits_clearingline (clearing_id, direction, settlement_id, inbound_id, reversal, district_id,
    scheme, pooled, critical, aid, amount)
SELECT %(clearing)s, 'payable', s.id, NULL, {flag}, s.district_id, s.scheme, {sign}s.pooled_paid,
    {sign}s.critical_paid, {sign}s.aid_paid, {sign}ROUND(s.pooled_paid + s.critical_paid + s.aid_paid, 2)
FROM benefits_settlement s
WHERE s.kind = 'direct' AND s.care_area_code = %(area)s AND {when}
ON CONFLICT (settlement_id, reversal) DO NOTHING
"""
RECEIVABLE = """
INSERT INTO benefits_clearingline (clearing_id, direction, settlement_id, inbound_id, reversal, district_id,
    scheme, pooled, critical, aid, amount)
SELECT %(clearing)s, 'receivable', NULL, s.id, {flag}, s.district_id, s.scheme, {sign}s.pooled_paid,
    {sign}s.critical_paid, 0, {sign}ROUND(s.pooled_paid + s.critical_paid, 2)
FROM benefits_inboundsettlement s
WHERE s.insured_area_code = %(area)s AND {when}
ON CONFLICT (inbound_id, reversal) DO NOTHING
"""
SETTLED = "s.settled_at >= %(start)s AND s.settled_at < %(end)s"
REVERSED = "s.status = 'reversed' AND s.reversed_at >= %(start)s AND s.reversed_at < %(end)s"
# A settlement already on another statement (same reversal flag) is skipped by its unique line constraint
# itself, not by NOT EXISTS: PostgreSQL plans a NOT EXISTS from the statistics of the lines table, which a run
# fills from empty, and then probes it by a full scan per settlement (measured: quadratic, minutes at 1M).
# The arbiter index is probed whatever the statistics. JIT compiling each statement costs more than it saves.
PLAN = {"postgresql": ["SET LOCAL jit = off"]}


INSERTS = [
    template.format(flag=flag, sign=sign, when=when)
    for template in (PAYABLE, RECEIVABLE)
    for flag, sign, when in (("FALSE", "", SETTLED), ("TRUE", "-", REVERSED))
]


# The statement's totals and counts from its lines, in one pass.
TOTALS = """
UPDATE benefits_clearing SET
    payable = t.payable, receivable = t.receivable, payable_count = t.payable_count,
    receivable_count = t.receivable_count, generated_at = %(now)s, updated_at = %(now)s
FROM (
    SELECT COALESCE(ROUND(SUM(CASE WHEN direction = 'payable' THEN amount ELSE 0 END), 2), 0) AS payable,
           COALESCE(ROUND(SUM(CASE WHEN direction = 'receivable' THEN amount ELSE 0 END), 2), 0) AS receivable,
           COUNT(CASE WHEN direction = 'payable' THEN 1 END) AS payable_count,
           COUNT(CASE WHEN direction = 'receivable' THEN 1 END) AS receivable_count
    FROM benefits_clearingline WHERE clearing_id = %(clearing)s
) t
WHERE benefits_clearing.id = %(clearing)s
"""
# Areas with activity in the month, either way.
AREAS = f"""
SELECT s.care_area_code FROM benefits_settlement s
WHERE s.kind = 'direct' AND s.care_area_code <> '' AND (({SETTLED}) OR ({REVERSED}))
UNION
SELECT s.insured_area_code FROM benefits_inboundsettlement s WHERE ({SETTLED}) OR ({REVERSED})
"""  # noqa: S608  (fixed fragments only; values are bound parameters)


def clearing_generate(*, actor: User | None, month: Any, area_code: str | None = None) -> dict[str, Any]:
    """Draft (or redraft) the month's statements with every counterpart area with activity in it (or one).
    Confirmed and paid statements stay as they are; the counts say how many were left unchanged."""
    if actor is not None:
        require_capability(actor, Capability.ADMINISTER)
    month = clearing_month_parse(month)
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"month": "不能生成未来月份的清算单"})
    area_code = area_code_clean(area_code, field="area_code") if area_code else None
    start, end = month_bounds(month)
    window = {"start": start, "end": end}
    with connection.cursor() as cursor:
        cursor.execute(AREAS, window)
        areas = sorted({row[0] for row in cursor.fetchall()})
    if area_code is not None:
        areas = [a for a in areas if a == area_code]
    counts: dict[str, Any] = {"month": f"{month:%Y-%m}", "areas": len(areas), "generated": 0, "unchanged": 0,
                              "lines": 0}  # fmt: skip
    for generated, lines in _each_area(areas, month=month, window=window):
        counts["generated" if generated else "unchanged"] += 1
        counts["lines"] += lines
    with transaction.atomic():
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.JOB,
            object_type="benefits.clearing",
            object_repr=f"异地就医清算单生成 {month:%Y-%m}",
            new_values={**counts, "area_code": area_code or ""},
        )
    return counts


def _each_area(areas: list[str], *, month: dt.date, window: dict) -> list[tuple[bool, int]]:
    """Areas are independent (their own rows, their own transaction): on PostgreSQL, outside a caller's
    transaction, a few run side by side (YIBAO_BATCH_WORKERS), each on its own connection. Most of an area's
    time is the database checking each new line's foreign keys at commit, which no one statement shares out."""

    def one(area: str) -> tuple[bool, int]:
        return _generate_area(area=area, month=month, window=window)

    return run_side_by_side(one, [(area,) for area in areas], workers=batch_workers())


@transaction.atomic
def _generate_area(*, area: str, month: dt.date, window: dict) -> tuple[bool, int]:
    """One area's statement, whole or not at all. Returns (regenerated, lines written)."""
    Clearing.objects.bulk_create([Clearing(area_code=area, month=month)], ignore_conflicts=True)
    clearing = Clearing.objects.select_for_update().get(area_code=area, month=month)
    if clearing.status != Status.DRAFT:
        return False, 0
    params = {**window, "area": area, "clearing": clearing.pk, "now": connection.ops.adapt_datetimefield_value(
        timezone.now())}  # fmt: skip
    lines = 0
    with connection.cursor() as cursor:
        for setting in PLAN.get(connection.vendor, []):
            cursor.execute(setting)
        cursor.execute("DELETE FROM benefits_clearingline WHERE clearing_id = %(clearing)s", params)
        for sql in INSERTS:
            cursor.execute(sql, params)
            lines += max(cursor.rowcount, 0)
        cursor.execute(TOTALS, params)
    return True, lines


# --- status -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    clearing: Clearing
    changed: bool


def _move(*, actor: User | None, clearing: Clearing, to: str, values: dict[str, Any]) -> Moved:
    if actor is not None:
        require_capability(actor, Capability.ADMINISTER)
    with transaction.atomic():
        current = Clearing.objects.select_for_update().get(pk=clearing.pk)
        if current.status == to or (to == Status.CONFIRMED and current.status == Status.PAID):
            return Moved(current, False)  # done already: repeating it changes nothing
        if to not in TRANSITIONS[Status(current.status)]:
            raise ValidationError(
                {"status": f"清算单当前状态为“{current.get_status_display()}”，须先确认才能登记资金划拨"}
            )
        old = current.status
        for name, value in {"status": to, **values}.items():
            setattr(current, name, value)
        current.save(update_fields=["status", *values, "updated_at"])
        if to == Status.PAID:
            event_post(source="clearing", record_id=current.pk, actor=actor, memo=f"异地就医清算 {current}")
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.STATUS,
            obj=current,
            old_values={"status": old},
            new_values={"status": to, **{k: str(v) for k, v in values.items() if not k.endswith("_by")}},
        )
    return Moved(current, True)


def clearing_confirm(*, actor: User | None, clearing: Clearing) -> Moved:
    """确认: both sides agree on the statement; it is no longer regenerated."""
    return _move(
        actor=actor, clearing=clearing, to=Status.CONFIRMED,
        values={"confirmed_at": timezone.now(), "confirmed_by": actor},
    )  # fmt: skip


def clearing_pay(*, actor: User | None, clearing: Clearing, paid_on: dt.date | None) -> Moved:
    """资金划拨: the net is paid (or received) on `paid_on`; the statement posts to the fund books."""
    if not isinstance(paid_on, dt.date):
        raise ValidationError({"paid_on": "请填写资金划拨日期"})
    if paid_on < next_month(clearing.month):
        raise ValidationError({"paid_on": f"资金划拨日期应在清算月份（{clearing.month:%Y-%m}）结束之后"})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "资金划拨日期不能晚于今天"})
    return _move(actor=actor, clearing=clearing, to=Status.PAID, values={"paid_on": paid_on, "paid_by": actor})


# --- reconciliation ---------------------------------------------------------------------------------------

BAD = "ABS(COALESCE({a}, 0) - ({b})) >= 0.005"  # money apart by a fen or more (SQLite sums as floats)
LINE_SUMS = """
SELECT c.id, c.area_code, c.month, c.payable, c.receivable, c.payable_count, c.receivable_count,
       COALESCE(SUM(CASE WHEN l.direction = 'payable' THEN l.amount END), 0),
       COALESCE(SUM(CASE WHEN l.direction = 'receivable' THEN l.amount END), 0),
       COUNT(CASE WHEN l.direction = 'payable' THEN 1 END), COUNT(CASE WHEN l.direction = 'receivable' THEN 1 END),
       COUNT(CASE WHEN ABS(l.amount - (l.pooled + l.critical + l.aid)) >= 0.005 THEN 1 END)
FROM benefits_clearing c LEFT JOIN benefits_clearingline l ON l.clearing_id = c.id
WHERE c.month = %(month)s
GROUP BY c.id, c.area_code, c.month, c.payable, c.receivable, c.payable_count, c.receivable_count
"""
# Each settlement (inbound settlement) of the month against its line: missing, or with other amounts.
MISSED = """
SELECT s.{number}, {area}, l.amount, {expected}, (SELECT COUNT(*) FROM benefits_clearing c
    WHERE c.area_code = {area} AND c.month = %(month)s)
FROM {table} s
LEFT JOIN benefits_clearingline l ON l.{key} = s.id AND l.reversal = {flag}
WHERE {where} AND {when} AND (l.id IS NULL OR {bad})
"""
MISSED_SQL = []
for _table, _key, _number, _area, _where, _aid, _direction in (
    ("benefits_settlement", "settlement_id", "settlement_number", "s.care_area_code",
     "s.kind = 'direct' AND s.care_area_code <> ''", "s.aid_paid", "payable"),
    ("benefits_inboundsettlement", "inbound_id", "platform_number", "s.insured_area_code", "1 = 1", "0",
     "receivable"),
):  # fmt: skip
    for _flag, _sign, _when in (("FALSE", "", SETTLED), ("TRUE", "-", REVERSED)):
        _parts = (("l.pooled", "s.pooled_paid"), ("l.critical", "s.critical_paid"), ("l.aid", _aid))
        _bad = " OR ".join(BAD.format(a=a, b=f"{_sign}{b}") for a, b in _parts)
        _expected = f"{_sign}(s.pooled_paid + s.critical_paid + {_aid})"
        MISSED_SQL.append((
            _direction, _flag == "TRUE",
            MISSED.format(number=_number, area=_area, expected=_expected, table=_table, key=_key, flag=_flag,
                          where=_where, when=_when, bad=f"({_bad} OR {BAD.format(a='l.amount', b=_expected)})"),
        ))  # fmt: skip
# Lines that do not belong on their statement: another area, another month, or not a settlement it clears.
STRAY = """
SELECT l.id, c.area_code, l.direction, l.reversal FROM benefits_clearingline l
JOIN benefits_clearing c ON c.id = l.clearing_id AND c.month = %(month)s
LEFT JOIN benefits_settlement s ON s.id = l.settlement_id
LEFT JOIN benefits_inboundsettlement i ON i.id = l.inbound_id
WHERE NOT (
    (l.direction = 'payable' AND s.kind = 'direct' AND s.care_area_code = c.area_code AND (
        (l.reversal = FALSE AND s.settled_at >= %(start)s AND s.settled_at < %(end)s)
        OR (l.reversal = TRUE AND s.status = 'reversed' AND s.reversed_at >= %(start)s AND s.reversed_at < %(end)s)))
    OR (l.direction = 'receivable' AND i.insured_area_code = c.area_code AND (
        (l.reversal = FALSE AND i.settled_at >= %(start)s AND i.settled_at < %(end)s)
        OR (l.reversal = TRUE AND i.status = 'reversed' AND i.reversed_at >= %(start)s AND i.reversed_at < %(end)s)))
)
"""
# The month's fresh totals per area, straight from the settlements (what the statements must show).
FRESH = f"""
SELECT area, direction, ROUND(SUM(amount), 2) FROM (
    SELECT s.care_area_code AS area, 'payable' AS direction, s.pooled_paid + s.critical_paid + s.aid_paid AS amount
    FROM benefits_settlement s WHERE s.kind = 'direct' AND s.care_area_code <> '' AND {SETTLED}
    UNION ALL
    SELECT s.care_area_code, 'payable', -(s.pooled_paid + s.critical_paid + s.aid_paid)
    FROM benefits_settlement s WHERE s.kind = 'direct' AND s.care_area_code <> '' AND {REVERSED}
    UNION ALL
    SELECT s.insured_area_code, 'receivable', s.pooled_paid + s.critical_paid
    FROM benefits_inboundsettlement s WHERE {SETTLED}
    UNION ALL
    SELECT s.insured_area_code, 'receivable', -(s.pooled_paid + s.critical_paid)
    FROM benefits_inboundsettlement s WHERE {REVERSED}
) x GROUP BY area, direction
"""  # noqa: S608  (fixed fragments only; values are bound parameters)
DIRECTION = {"payable": "应付", "receivable": "应收"}


def _money(value: Any) -> Decimal:
    return to_fen(Decimal(str(value or 0)))


def clearing_reconcile(*, month: Any = None) -> list[str]:
    """Every statement (of `month`, or of every month with one) against its lines and the settlements, in
    words staff read. An empty list: the statements agree with the settlements to the fen."""
    if month is not None:
        months = [clearing_month_parse(month)]
    else:
        months = sorted(set(Clearing.objects.values_list("month", flat=True)))
    found: list[str] = []
    for m in months:
        found += _reconcile_month(m)
    return found


def _reconcile_month(month: dt.date) -> list[str]:
    start, end = month_bounds(month)
    params = {"month": connection.ops.adapt_datefield_value(month), "start": start, "end": end}
    said = f"{month:%Y年%m月}"
    found: list[str] = []
    statements: dict[str, dict[str, Decimal]] = {}
    with connection.cursor() as cursor:
        cursor.execute(LINE_SUMS, params)
        for (
            _pk,
            area,
            _m,
            payable,
            receivable,
            n_pay,
            n_rec,
            lines_pay,
            lines_rec,
            n_pay_l,
            n_rec_l,
            torn,
        ) in cursor.fetchall():
            name = f"清算单（{area_name(area)}，{said}）"
            statements[area] = {"payable": _money(payable), "receivable": _money(receivable)}
            for direction, total, lines, count, line_count in (
                ("payable", payable, lines_pay, n_pay, n_pay_l),
                ("receivable", receivable, lines_rec, n_rec, n_rec_l),
            ):
                word = DIRECTION[direction]
                if _money(total) != _money(lines):
                    found.append(f"{name}{word}合计 {_money(total)} 元，明细合计 {_money(lines)} 元")
                if count != line_count:
                    found.append(f"{name}{word}笔数 {count}，明细 {line_count} 笔")
            if torn:
                found.append(f"{name}有 {torn} 条明细的金额不等于统筹、大病、救助三项之和")
        for direction, reversal, sql in MISSED_SQL:
            cursor.execute(sql, params)
            for number, area, amount, expected, has_statement in cursor.fetchall():
                what = f"{'冲正' if reversal else '结算'} {number}（{area_name(area)}，{said}，{DIRECTION[direction]}）"
                if not has_statement:
                    found.append(f"{what}：该地区本月没有清算单")
                elif amount is None:
                    found.append(f"{what}：未列入清算明细")
                else:
                    found.append(f"{what}：清算明细金额 {_money(amount)} 元，结算记录为 {_money(expected)} 元")
        cursor.execute(STRAY, params)
        for line_id, area, direction, reversal in cursor.fetchall():
            found.append(
                f"清算单（{area_name(area)}，{said}）第 {line_id} 条{DIRECTION[direction]}明细"
                f"{'（冲正）' if reversal else ''}不属于该地区该月的结算"
            )
        cursor.execute(FRESH, params)
        fresh: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"payable": ZERO, "receivable": ZERO})
        for area, direction, total in cursor.fetchall():
            fresh[area][direction] = _money(total)
    for area, totals in sorted(statements.items()):
        for direction in ("payable", "receivable"):
            want = fresh[area][direction] if area in fresh else ZERO
            if totals[direction] != want:
                found.append(
                    f"清算单（{area_name(area)}，{said}）{DIRECTION[direction]} {totals[direction]} 元，"
                    f"按结算记录重新汇总为 {want} 元"
                )
    return found
