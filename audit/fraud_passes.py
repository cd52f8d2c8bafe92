"""疑点筛查 in four passes over the settlements instead of one statement per rule.

The person pass serves the rules whose hits are about one person's settlements across types (重复结算, 门诊套现,
超限额). One narrow read of the settlements (id, person, day and a few flags), sorted by (person, service date),
gives each row whether the row before it is of the same day (one window function), and one aggregate per person
then says which rules the person may hit: two settlements on one day, eight account purchases in the read, a
pooled total of one type above the cap of a row of that type. These candidate persons, a fraction of a percent,
have their rows fetched whole by person (one materialised CTE), and each rule's own logic, the same joins and
window functions as its one-rule statement in `fraud_sql`, runs over them alone (the over-cap rule reads its
candidates' rows again by person). Each mark is a superset of what the rule needs: the rule sees every row it
saw before for the persons it keeps, and finds the same hits, amounts and details.

The stay pass serves the rules about hospital stays (分解住院, 跨机构同时住院): they read the inpatient settlements
only, a tenth of the year, whole, in one read, and run their own logic over them.

The filter pass serves the rules that look at one settlement at a time (限性别/限年龄, 冒名就医): the rows whose
diagnosis code some rule limits come through the diagnosis index (on PostgreSQL; ranges of codes by code point),
and the settlements of the persons at risk (who died, or whom no one enrollment covers over the whole window)
come by person through the person index; the covering enrollment (a left join: no match, outside every
enrollment period), the dead persons and the persons are joined to those few.

The away pass serves the cross-region rules (异地就医): the persons with a settlement elsewhere come from their
partial index, and their settlements by person.

Each pass is one INSERT of the union of its rules' hits, ON CONFLICT (rule_id, settlement_id) DO NOTHING,
RETURNING the rule of each new row (the counts per rule). Every join is an equality on a key over a set (the
person, the enrollment's person, the policy), so PostgreSQL runs them without nested loops whatever the
statistics say (`fraud.py` sets enable_nestloop off for the pass).
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from .fraud_sql import BENEFIT_TYPES, ELSEWHERE, OVERLAP, Dialect, _codes, _int

FUND = "ROUND(s.pooled_paid + s.critical_paid + s.aid_paid + s.account_paid, 2)"
# Almost every settlement is settled, so the status never narrows a read; written so that no index can serve it.
# With statistics taken while the table was empty, PostgreSQL read the status index (a bitmap of the whole year)
# under every pass, and under every fetch by person (BitmapAnd): 16.5 s instead of 10 at 5M settlements.
SETTLED = "s.status || '' = 'settled'"
POOLED = "CAST(s.pooled_paid AS DOUBLE PRECISION)"
# What the person pass fetches of the rows some rule keeps.
COLUMNS = """id, person_id, institution_id, district_id, service_date, discharge_date, benefit_type, kind,
    care_area_code, total_cost, pooled_paid, critical_paid, aid_paid, account_paid, settlement_number, year,
    policy_id"""
# What the rules about stays read of a stay: the stay pass holds half a million of them at 5M settlements, and
# sorts them by person twice.
STAY_COLUMNS = "id, person_id, institution_id, district_id, service_date, discharge_date, settlement_number"
HIT = """SELECT {rule} AS rule_id, s.id AS settlement_id, s.person_id, s.institution_id, s.district_id,
    s.service_date, {amount} AS amount, {detail} AS detail"""
INSERT = """INSERT INTO audit_suspicion (rule_id, settlement_id, person_id, institution_id, district_id,
    service_date, amount, detail, status, review_reason, scan_run_id, created_at, updated_at)
SELECT h.rule_id, h.settlement_id, h.person_id, h.institution_id, h.district_id, h.service_date, h.amount,
    SUBSTR(h.detail, 1, 500), 'open', '', %(run)s, %(now)s, %(now)s
FROM ({hits}) h
WHERE 1 = 1
ON CONFLICT (rule_id, settlement_id) DO NOTHING
RETURNING rule_id"""


class Binds:
    """One rule's bound parameters, named apart from the other rules' in the same statement."""

    def __init__(self, values: dict[str, Any], prefix: str):
        self.values, self.prefix = values, prefix

    def __call__(self, name: str, value: Any) -> str:
        key = f"{self.prefix}{name}"
        self.values[key] = value
        return f"%({key})s"

    def types(self, params: dict, default: tuple[str, ...] = BENEFIT_TYPES) -> str:
        return ", ".join(self(f"bt{i}", t) for i, t in enumerate(self.type_names(params, default)))

    @staticmethod
    def type_names(params: dict, default: tuple[str, ...] = BENEFIT_TYPES) -> list[str]:
        types = params.get("benefit_types", list(default))
        if not isinstance(types, list) or not types or any(t not in BENEFIT_TYPES for t in types):
            raise ValidationError(f"参数 benefit_types 应为以下待遇类型的列表：{'、'.join(BENEFIT_TYPES)}")
        return list(dict.fromkeys(types))


@dataclass
class Part:
    """One rule's share of a pass: the rows it reads, the marks it needs, the rows it keeps, its hits."""

    reads: str  # SQL over the settlement row s: a row this rule may read
    hits: str  # a SELECT (HIT) over the kept rows c
    flags: dict[str, str] = field(default_factory=dict)  # name -> SQL over s, computed once before the sort
    keeps: dict[str, str] = field(default_factory=dict)  # name -> SQL over a fetched row: kept for the rule
    # Person pass: name (of a keep) -> a condition over the aggregates of a person's rows g: the person's rows
    # are fetched, and a row is kept when it also meets the keep's own condition.
    person: dict[str, str] = field(default_factory=dict)
    needs_cap: bool = False  # the read carries the cap of each settlement's policy
    same_day: bool = False  # person pass: the sorted read marks a row after one of the same day (g.same_day)
    first: bool = False  # its read is wide (every type in the window): tested first
    persons: str = ""  # filter pass: a query of the persons whose settlements in the window it reads


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def unindexed(condition: str) -> str:
    """`condition` as a filter that no index can serve. A pass's dates and types keep most of the year; with
    statistics taken while the table was empty PostgreSQL served them from the (institution, day) index, a
    bitmap of the whole year under each read and each fetch by person. A read is a scan, or a fetch through the
    one index its pass names (person, diagnosis code, care elsewhere)."""
    return f"{_flag(condition)} = 1"


# A person's rows of one day are neighbours in the sorted read: the later one of two has same_day = 1.
SAME_DAY = "CASE WHEN LAG(s.service_date) OVER p = s.service_date THEN 1 ELSE 0 END AS same_day"


def member(d: Dialect, column: str, query: str) -> str:
    """`column` is one of the ids `query` selects. PostgreSQL looks each id up in the column's index (an array
    of ids, not a join a planner could turn into a scan of the table); SQLite plans IN so already."""
    if d.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({query}))"
    return f"{column} IN ({query})"


def paired(rule: int, detail: str, *, hit: str, other: str, match: str, also: str = "") -> str:
    """The hits of a rule about two settlements of one person: each kept row a (mark `hit`) that some kept row b
    (mark `other`) of the same person matches (`match`, over a and b). The detail names b's lowest settlement
    number (o.other_number); `also` adds aggregates of the matching b rows to o."""
    return f"""{HIT.format(rule=rule, amount="s.fund", detail=detail)}
FROM (SELECT a.id, MIN(b.settlement_number) AS other_number{also}
      FROM c a
      JOIN c b ON b.person_id = a.person_id AND b.{other} = 1 AND {match}
      WHERE a.{hit} = 1
      GROUP BY a.id) o
JOIN c s ON s.id = o.id"""  # noqa: S608  (fixed fragments and checked integers only)


# --- the person pass ------------------------------------------------------------------------------------------


def duplicate_settlement(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    member = f"s.service_date BETWEEN {start} AND {end} AND s.benefit_type IN ({b.types(params)})"
    keep = f"k{i}"
    detail = "'与结算单 ' || f.settlement_number || ' 为同一参保人、同一机构、同日同金额'"
    # A duplicate shares the person and the day: a person with a member row after one of the same day.
    return Part(
        reads=member,
        first=True,
        flags={f"f{i}": member},
        same_day=True,
        person={keep: f"MAX(g.same_day * g.f{i}) = 1"},
        keeps={keep: member},
        hits=f"""{HIT.format(rule=rule, amount="s.fund", detail=detail)}
FROM (SELECT person_id, institution_id, service_date, total_cost, MIN(id) AS first_id
      FROM c WHERE {keep} = 1
      GROUP BY person_id, institution_id, service_date, total_cost HAVING COUNT(*) > 1) g
JOIN c s ON s.person_id = g.person_id AND s.institution_id = g.institution_id
    AND s.service_date = g.service_date AND s.total_cost = g.total_cost AND s.{keep} = 1
JOIN c f ON f.id = g.first_id
WHERE s.id <> g.first_id""",  # noqa: S608  (fixed fragments and checked integers only)
    )


def outpatient_cash_out(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    window = _int(params, "window_days", 30, low=2, high=366)
    least = b("min_purchases", _int(params, "min_purchases", 8, low=2, high=1000))
    types = b.types(params, default=("pharmacy",))
    lookback = b("lookback", b.values["start"] - dt.timedelta(days=window - 1))
    lookahead = b("lookahead", b.values["end"] + dt.timedelta(days=window - 1))
    member = f"s.benefit_type IN ({types}) AND s.account_paid > 0 AND s.service_date BETWEEN {lookback} AND {lookahead}"
    keep = f"k{i}"
    day = d.day_number("service_date")
    detail = f"'连续 {window} 天内个人账户购药 ' || {d.text('hit.n')} || ' 次（阈值 ' || {d.text(least)} || ' 次）'"
    recent = f"PARTITION BY person_id ORDER BY {day} RANGE BETWEEN {window - 1} PRECEDING AND CURRENT ROW"
    buys = f"""(SELECT id, person_id, {day} AS dn, COUNT(*) OVER ({recent}) AS n_recent
            FROM c WHERE {keep} = 1)"""  # noqa: S608  (fixed fragments and checked integers only)
    # Trailing counts at each purchase; a purchase hits when some heavy window ending on a purchase day
    # within the next window_days - 1 days contains it (as the one-rule statement counts them).
    return Part(
        reads=member,
        flags={f"f{i}": member},
        # A person with fewer purchases than the threshold in the whole read cannot reach it in a window.
        person={keep: f"SUM(g.f{i}) >= {least}"},
        keeps={keep: member},
        hits=f"""{HIT.format(rule=rule, amount="s.account_paid", detail=detail)}
FROM (SELECT b.id, MAX(h.n_recent) AS n
      FROM {buys} b
      JOIN {buys} h ON h.person_id = b.person_id AND h.n_recent >= {least} AND h.dn >= b.dn
          AND h.dn <= b.dn + {window - 1}
      GROUP BY b.id) hit
JOIN c s ON s.id = hit.id
WHERE s.service_date BETWEEN {start} AND {end}""",  # noqa: S608  (fixed fragments and checked integers only)
    )


def over_cap(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    types = b.types(params)
    names = b.type_names(params)  # checked against BENEFIT_TYPES: safe to write into the SQL
    year_start = b("year_start", dt.date(b.values["start"].year, 1, 1))
    year = f"s.service_date BETWEEN {year_start} AND {end}"
    reads = f"{year} AND s.benefit_type IN ({types})"
    keep = f"k{i}"
    # A (person, year, type) is above its lowest cap when its pooled total is above the cap of one of its rows.
    # The person's total of that type over the read is at least as high (amounts are never negative), so the
    # person is a candidate. The totals are sums per person, one per type, of a column the read fills with the
    # row's pooled amount when it is of that type, else NULL, against the lowest cap of the rows of that type.
    # They sum in floating point: a cent of slack covers their rounding and SQLite's float sums. The candidates'
    # rows of the rule are then read again by person, whole, and the exact sums run over them in decimals, as in
    # the one-rule statement. (A window of its own by person and type made the pass sort the year twice.)
    pooled = {
        f"o{i}_{j}": f"CASE WHEN {year} AND s.benefit_type = '{n}' THEN {POOLED} END" for j, n in enumerate(names)
    }
    over = " OR ".join(f"SUM(g.{o}) > MIN(CASE WHEN g.{o} IS NOT NULL THEN g.cap_f END) - 0.01" for o in pooled)
    amount = "ROUND(CASE WHEN s.cum - s.pooled_paid >= s.cap THEN s.pooled_paid ELSE s.cum - s.cap END, 2)"
    detail = f"'统筹基金年度累计支付 ' || {d.money('s.cum')} || ' 元，超过年度支付限额 ' || {d.money('s.cap')} || ' 元'"
    group = "PARTITION BY x.person_id, x.year, x.benefit_type"
    candidates = member(d, "s.person_id", f"SELECT person_id FROM c WHERE {keep} = 1")  # noqa: S608  (fixed fragments)
    return Part(
        reads=reads,
        first=True,
        needs_cap=True,
        flags=pooled,
        person={keep: over},
        keeps={keep: "1 = 1"},
        hits=f"""{HIT.format(rule=rule, amount=amount, detail=detail)}
FROM (SELECT x.*,
          SUM(x.pooled_paid) OVER ({group} ORDER BY x.service_date, x.id
              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
          SUM(x.pooled_paid) OVER ({group}) AS total, MIN(x.cap) OVER ({group}) AS low
      FROM (SELECT s.id, s.person_id, s.institution_id, s.district_id, s.service_date, s.year, s.benefit_type,
                s.pooled_paid, bp.annual_cap AS cap, {FUND} AS fund
            FROM benefits_settlement s JOIN benefits_benefitpolicy bp ON bp.id = s.policy_id
            WHERE {SETTLED} AND {unindexed(reads)} AND {candidates}) x) s
WHERE s.service_date BETWEEN {start} AND {end} AND s.total > s.low + 0.005 AND s.cum > s.cap + 0.005""",  # noqa: S608  (fixed fragments and checked integers only)
    )


PERSON_PARTS = {
    "duplicate_settlement": duplicate_settlement,
    "outpatient_cash_out": outpatient_cash_out,
    "over_cap": over_cap,
}


def person_pass(parts: list[Part], d: Dialect, *, cut: str = "1 = 1") -> str:
    """The one sort of the pass is of a narrow read (id, person, day, the flags): sorting the settlements' wide
    rows took most of the pass. Per person, one aggregate over the sorted rows says which rules the person may
    hit; the same-day mark is the only window function (marks per row took seven, which cost more than the
    sort). The rows of the candidate persons, a fraction of a percent, are fetched whole afterwards by person."""
    cap = any(p.needs_cap for p in parts)
    policy = "JOIN benefits_benefitpolicy bp ON bp.id = s.policy_id" if cap else ""
    floats = ", CAST(bp.annual_cap AS DOUBLE PRECISION) AS cap_f" if cap else ""
    # The widest reads first: most rows then pass the filter at its first test.
    reads = " OR ".join(f"({p.reads})" for p in sorted(parts, key=lambda p: not p.first))
    named = {k: v for p in parts for k, v in p.flags.items()}
    flags = "".join(f", {v if v.startswith('CASE ') else _flag(v)} AS {k}" for k, v in named.items())
    same_day = f", {SAME_DAY}" if any(p.same_day for p in parts) else ""
    person = {k: v for p in parts for k, v in p.person.items()}
    candidates = "".join(f", {_flag(v)} AS {k}" for k, v in person.items())
    keeps = {k: v for p in parts for k, v in p.keeps.items()}
    marks = ", ".join(f"{_flag(f'm.{k} = 1 AND ({v})')} AS {k}" for k, v in keeps.items())
    columns = ", ".join(f"s.{c.strip()}" for c in COLUMNS.split(","))
    hits = "\nUNION ALL\n".join(p.hits for p in parts)
    # The candidates' rows through the person index, not a second read of the year.
    fetch = member(d, "s.person_id", "SELECT person_id FROM m")
    window = "WINDOW p AS (PARTITION BY s.person_id ORDER BY s.service_date, s.id)" if same_day else ""
    return f"""WITH m AS MATERIALIZED (
    SELECT g.person_id{candidates}
    FROM (
        SELECT s.*{same_day}
        FROM (SELECT s.id, s.person_id, s.service_date{floats}{flags}
              FROM benefits_settlement s {policy}
              WHERE {SETTLED} AND {cut} AND {unindexed(reads)}) s
        {window}
    ) g
    GROUP BY g.person_id
    HAVING {" OR ".join(f"({v})" for v in person.values())}
),
c AS MATERIALIZED (
    SELECT {columns}, {FUND} AS fund, {marks}
    FROM benefits_settlement s JOIN m ON m.person_id = s.person_id
    WHERE {SETTLED} AND {unindexed(reads)} AND {fetch}
)
{INSERT.format(hits=hits)}"""  # noqa: S608  (fixed fragments and checked integers only)


# --- the stay pass -------------------------------------------------------------------------------------------
# The rules about hospital stays read the inpatient settlements only, a tenth of the year. Marked in the person
# pass ("two stays or more"), they kept most of the stays and made the pass fetch them again by id; read here
# whole, in their own scan, they need no sort of the year and no second fetch.


def split_admission(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    days = _int(params, "days", 15, high=90)
    same = params.get("same_institution", True)
    if not isinstance(same, bool):
        raise ValidationError("参数 same_institution 应为 true 或 false")
    lookback = b("lookback", b.values["start"] - dt.timedelta(days=days))
    member = (
        f"s.benefit_type = 'inpatient' AND s.service_date <= {end} "
        f"AND (s.service_date >= {start} OR s.discharge_date >= {lookback})"
    )
    keep = f"k{i}"
    partition = "person_id, institution_id" if same else "person_id"
    gap = d.days_between("s.service_date", "s.prev_discharge")
    detail = f"'出院（结算单 ' || s.prev_number || '）后 ' || {d.text(gap)} || ' 天内再次入院'"
    return Part(
        reads=member,
        keeps={keep: member},
        hits=f"""{HIT.format(rule=rule, amount="s.fund", detail=detail)}
FROM (SELECT c.*, LAG(discharge_date) OVER w AS prev_discharge, LAG(settlement_number) OVER w AS prev_number
      FROM c WHERE {keep} = 1
      WINDOW w AS (PARTITION BY {partition} ORDER BY service_date, id)) s
WHERE s.service_date BETWEEN {start} AND {end} AND s.prev_discharge IS NOT NULL
  AND s.prev_discharge <= s.service_date AND {gap} <= {b("days", days)}""",  # noqa: S608  (fixed fragments and checked integers only)
    )


def concurrent_inpatient(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    stay = f"s.benefit_type = 'inpatient' AND s.service_date BETWEEN {start} AND {end}"
    # The other stay overlaps one that starts in the window, so it ends after the window's start.
    other = f"s.benefit_type = 'inpatient' AND s.discharge_date > {start}"
    detail = "'住院期间与其他机构的住院（结算单 ' || o.other_number || '）重叠'"
    return Part(
        reads=f"({stay}) OR ({other})",
        keeps={f"k{i}a": stay, f"k{i}b": other},
        hits=paired(
            rule,
            detail,
            hit=f"k{i}a",
            other=f"k{i}b",
            match="b.institution_id <> a.institution_id "
            "AND b.service_date < a.discharge_date AND a.service_date < b.discharge_date",
        ),
    )


STAY_PARTS = {"split_admission": split_admission, "concurrent_inpatient": concurrent_inpatient}


def _whole_rows_pass(parts: list[Part], *, columns: str = COLUMNS, persons: str = "", only: str = "") -> str:
    """One read of the rows some rule reads (`columns` of them; `keeps` are its rules' own reads), restricted by
    `only` (after `persons`, a CTE r of person ids); each rule's hits over them."""
    reads = " OR ".join(f"({p.reads})" for p in parts)
    keeps = {k: v for p in parts for k, v in p.keeps.items()}
    marks = "".join(f", {_flag(v)} AS {k}" for k, v in keeps.items())
    columns = ", ".join(f"s.{c.strip()}" for c in columns.split(","))
    hits = "\nUNION ALL\n".join(p.hits for p in parts)
    return f"""WITH {persons}c AS MATERIALIZED (
    SELECT {columns}, {FUND} AS fund{marks}
    FROM benefits_settlement s
    WHERE {SETTLED} AND {only}{unindexed(reads)}
)
{INSERT.format(hits=hits)}"""  # noqa: S608  (fixed fragments and checked integers only)


def stay_pass(parts: list[Part]) -> str:
    return _whole_rows_pass(parts, columns=STAY_COLUMNS)


# --- the away pass -------------------------------------------------------------------------------------------
# The rules about care elsewhere (异地就医) need a person with a settlement elsewhere whose period reaches the
# window. Those persons come from the settlements elsewhere (a small part of the year, in their own partial
# index), and their settlements are read by person: no sort of the year, and no mark in the person pass.


def remote_direct_and_manual(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    manual = f"s.kind = 'manual' AND s.service_date BETWEEN {start} AND {end} AND s.benefit_type IN ({b.types(params)})"
    # The direct one overlaps a manual one in the window, so its period ends on or after the window's start.
    direct = f"s.kind = 'direct' AND s.{ELSEWHERE} AND COALESCE(s.discharge_date, s.service_date) >= {start}"
    until = "COALESCE({0}.discharge_date, {0}.service_date)"
    detail = "'同一就医已在异地直接结算（结算单 ' || o.other_number || '），又办理零星报销'"
    return Part(
        reads=f"({manual}) OR ({direct})",
        keeps={f"k{i}m": manual, f"k{i}r": direct},
        # a: the manual one, b: the direct one elsewhere.
        hits=paired(
            rule,
            detail,
            hit=f"k{i}m",
            other=f"k{i}r",
            match=f"b.service_date <= {until.format('a')} AND a.service_date <= {until.format('b')}",
        ),
    )


def home_and_remote_overlap(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    hit = f"s.service_date BETWEEN {start} AND {end} AND s.benefit_type IN ({b.types(params)})"
    # The other settlement overlaps one in the window: a stay ending after its start, or a day on or after it.
    other = (
        f"(s.benefit_type = 'inpatient' AND s.discharge_date > {start}) "
        f"OR (s.benefit_type <> 'inpatient' AND s.service_date >= {start})"
    )
    other_place = "(CASE WHEN o.other_elsewhere = 1 THEN '异地就医结算 ' ELSE '本地结算 ' END)"
    detail = f"'与' || {other_place} || o.other_number || ' 的就医日期重叠'"
    return Part(
        reads=f"({hit}) OR ({other})",
        keeps={f"k{i}a": hit, f"k{i}b": other},
        hits=paired(
            rule,
            detail,
            hit=f"k{i}a",
            other=f"k{i}b",
            match=f"b.id < a.id AND ((a.care_area_code = '' AND b.{ELSEWHERE}) OR (a.{ELSEWHERE} AND "
            f"b.care_area_code = '')) AND {OVERLAP}",
            also=f", MAX(CASE WHEN b.{ELSEWHERE} THEN 1 ELSE 0 END) AS other_elsewhere",
        ),
    )


AWAY_PARTS = {
    "remote_direct_and_manual": remote_direct_and_manual,
    "home_and_remote_overlap": home_and_remote_overlap,
}


def away_pass(parts: list[Part], d: Dialect) -> str:
    persons = f"""r AS MATERIALIZED (
    SELECT DISTINCT s.person_id FROM benefits_settlement s
    WHERE s.{ELSEWHERE} AND {SETTLED} AND (s.service_date >= %(start)s OR s.discharge_date >= %(start)s)
),
"""  # noqa: S608  (fixed fragments only)
    only = member(d, "s.person_id", "SELECT person_id FROM r") + " AND "  # noqa: S608  (fixed fragments only)
    return _whole_rows_pass(parts, persons=persons, only=only)


# --- the filter pass ------------------------------------------------------------------------------------------


def after_end_or_death(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    dead = "p.death_date IS NOT NULL AND s.service_date > p.death_date"
    detail = (
        f"CASE WHEN {dead} THEN '就诊日期晚于参保人死亡日期 ' || {d.text('p.death_date')} "
        "ELSE '就诊日期不在该参保人任何参保期内' END"
    )
    # Who could be hit: a person who died before the window's end, or whom no one enrollment covers the whole
    # window. Everyone else is covered on every day of the window, so the exact per-day check (the joins of
    # `filter_pass`) runs on the few persons left, their settlements fetched by person, not on the whole year.
    # Two selects: the second alone is an anti-join (one hash of the enrollments), not a lookup per person.
    at_risk = f"""SELECT ap.id FROM enrollment_person ap WHERE ap.death_date < {end}
    UNION
    SELECT ap.id FROM enrollment_person ap WHERE NOT EXISTS (
        SELECT 1 FROM enrollment_enrollment ae WHERE ae.person_id = ap.id AND ae.start_date <= {start}
            AND (ae.end_date IS NULL OR ae.end_date >= {end}))"""  # noqa: S608  (fixed fragments only)
    return Part(
        reads="",
        persons=at_risk,
        hits=f"""{HIT.format(rule=rule, amount="s.fund", detail=detail)}
FROM x s JOIN ep p ON p.id = s.person_id
WHERE s.uncovered = 1 OR s.after_death = 1""",  # noqa: S608  (fixed fragments and checked integers only)
    )


def gender_age(i: int, rule: int, params: dict, d: Dialect, b: Binds, start: str, end: str) -> Part:
    female = _codes(params.get("female_only", []), "female_only", b.values, key=f"{b.prefix}female_only", d=d)
    male = _codes(params.get("male_only", []), "male_only", b.values, key=f"{b.prefix}male_only", d=d)
    children = params.get("child_only_prefixes", {})
    if not isinstance(children, dict):
        raise ValidationError("参数 child_only_prefixes 应为 {编码前缀: 年龄上限} 的对象")
    code_hits = [female, male]
    whens = [
        f"WHEN p.gender = 'M' AND {female} THEN '男性参保人，诊断 ' || s.diagnosis_code || ' 限女性'",
        f"WHEN p.gender = 'F' AND {male} THEN '女性参保人，诊断 ' || s.diagnosis_code || ' 限男性'",
    ]
    for j, prefix in enumerate(sorted(children)):
        codes = _codes([prefix], "child_only_prefixes", b.values, key=f"{b.prefix}child{j}_", d=d)
        years = _int(children, prefix, 1, low=1, high=18)
        code_hits.append(codes)
        adult = f"s.service_date >= {d.plus_years('p.birth_date', years)}"
        said = f"' 限 {years} 周岁以下，就诊时已满 {years} 周岁'"
        whens.append(f"WHEN {codes} AND {adult} THEN '诊断 ' || s.diagnosis_code || {said}")
    detail = "CASE " + " ".join(whens) + " END"
    codes = f"s.diagnosis_code <> '' AND ({' OR '.join(code_hits)})"
    return Part(
        reads=codes,
        hits=f"""{HIT.format(rule=rule, amount="s.fund", detail=detail)}
FROM x s JOIN ep p ON p.id = s.person_id
WHERE {codes} AND ({detail}) IS NOT NULL""",  # noqa: S608  (fixed fragments and checked integers only)
    )


FILTER_PARTS = {"after_end_or_death": after_end_or_death, "gender_age": gender_age}


def filter_pass(parts: list[Part], d: Dialect, *, coverage: bool) -> str:
    """The settlements of the window that some rule's `reads` keep (a diagnosis code some rule limits: through
    settlement_diagnosis_idx on PostgreSQL), and the settlements of each rule's `persons` (at risk of being
    uncovered), fetched by person. The rows kept are few: for them, the covering enrollment is a left join (no
    match: no enrollment covers the day; several matches repeat a row, which DISTINCT folds), their persons a
    join; both fetched by person too."""
    seen = "SELECT person_id FROM yp"  # the persons of the rows kept, once
    enrollments = joins = ""
    uncovered = after_death = "0"
    if coverage:
        where = member(d, "person_id", seen)
        enrollments = f"""ee AS MATERIALIZED (
    SELECT id, person_id, start_date, end_date FROM enrollment_enrollment WHERE {where}
),
"""  # noqa: S608  (fixed fragments only)
        joins = """LEFT JOIN ee e ON e.person_id = s.person_id AND e.start_date <= s.service_date
            AND (e.end_date IS NULL OR e.end_date >= s.service_date)
        LEFT JOIN ep dp ON dp.id = s.person_id AND dp.death_date IS NOT NULL"""
        uncovered, after_death = _flag("e.id IS NULL"), _flag("s.service_date > dp.death_date")
    columns = f"s.id, s.person_id, s.institution_id, s.district_id, s.service_date, s.diagnosis_code, {FUND} AS fund"
    window = f"{unindexed('s.service_date BETWEEN %(start)s AND %(end)s')} AND {SETTLED}"
    reads = " OR ".join(f"({p.reads})" for p in parts if p.reads)
    persons = "\n    UNION\n    ".join(p.persons for p in parts if p.persons)
    read = f"SELECT {columns} FROM benefits_settlement s WHERE {window} AND "  # noqa: S608  (fixed fragments only)
    selects = [f"{read}({reads})"] if reads else []
    if persons:
        selects.append(read + member(d, "s.person_id", "SELECT id FROM r"))
    union = "\n    UNION\n    ".join(selects)
    at_risk = f"r AS MATERIALIZED (\n    {persons}\n),\n" if persons else ""
    hits = "\nUNION ALL\n".join(p.hits for p in parts)
    # Each read is its own step: fused with the joins, the planner may walk the whole table by its primary key.
    return f"""WITH {at_risk}y AS MATERIALIZED (
    {union}
),
yp AS MATERIALIZED (
    SELECT DISTINCT person_id FROM y
),
ep AS MATERIALIZED (
    SELECT id, gender, birth_date, death_date FROM enrollment_person WHERE {member(d, "id", seen)}
),
{enrollments}x AS MATERIALIZED (
    SELECT DISTINCT s.*, {uncovered} AS uncovered, {after_death} AS after_death
    FROM y s
        {joins}
)
{INSERT.format(hits=hits)}"""  # noqa: S608  (fixed fragments and checked integers only)
