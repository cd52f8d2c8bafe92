"""疑点筛查 SQL: one set-based INSERT..SELECT per rule kind, over a date window.

The scan itself runs the rules in four shared passes (`fraud_passes`); these one-rule statements are the
reference those passes are checked against (`fraud.reference_hits`: the tests and the bench compare hits,
amounts and details), and their validators and fragments are shared with them.

Every statement inserts into audit_suspicion with ON CONFLICT (rule_id, settlement_id) DO NOTHING, so a
rule hits a settlement once however often the scan runs. Values are bound parameters; the only text
formatted into the SQL is fixed fragments and integers already checked by `_int`.

PostgreSQL is production, SQLite the embedded demo database: they differ in date arithmetic and in how
money prints, so those few fragments come from `Dialect`; window functions and upserts work on both.
"""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

BENEFIT_TYPES = ("outpatient", "chronic", "inpatient", "pharmacy")
FUND = "ROUND(s.pooled_paid + s.critical_paid + s.aid_paid + s.account_paid, 2)"
IN_WINDOW = "s.service_date BETWEEN %(start)s AND %(end)s AND s.status = 'settled'"
INSERT = """
INSERT INTO audit_suspicion (rule_id, settlement_id, person_id, institution_id, district_id, service_date,
    amount, detail, status, review_reason, scan_run_id, created_at, updated_at)
SELECT %(rule)s, s.id, s.person_id, s.institution_id, s.district_id, s.service_date,
    {amount}, SUBSTR({detail}, 1, 500), 'open', '', %(run)s, %(now)s, %(now)s
"""
CONFLICT = "ON CONFLICT (rule_id, settlement_id) DO NOTHING"


@dataclass(frozen=True)
class Dialect:
    vendor: str

    def days_between(self, later: str, earlier: str) -> str:
        if self.vendor == "postgresql":
            return f"({later} - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def day_number(self, day: str) -> str:
        if self.vendor == "postgresql":
            return f"({day} - DATE '2000-01-01')"
        return f"CAST(julianday({day}) AS INTEGER)"

    def plus_years(self, day: str, years: int) -> str:
        if self.vendor == "postgresql":
            return f"({day} + make_interval(years => {years}))"
        return f"date({day}, '+{years} years')"

    def money(self, value: str) -> str:
        if self.vendor == "postgresql":
            return f"CAST(ROUND({value}, 2) AS TEXT)"
        return f"printf('%%.2f', {value})"

    def text(self, value: str) -> str:
        return f"CAST({value} AS TEXT)"

    def binary(self, value: str) -> str:
        """`value` compared by code point (SQLite always compares so): diagnosis codes are ASCII, and the
        database's collation (zh_CN, or C.UTF-8 through the C library) costs a call per comparison."""
        if self.vendor == "postgresql":
            return f'{value} COLLATE "C"'
        return value


def _int(params: dict, name: str, default: int, *, low: int = 1, high: int = 366) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"参数 {name} 应为 {low} 至 {high} 之间的整数")
    return value


def _types(params: dict, values: dict[str, Any], default: tuple[str, ...] = BENEFIT_TYPES) -> str:
    types = params.get("benefit_types", list(default))
    if not isinstance(types, list) or not types or any(t not in BENEFIT_TYPES for t in types):
        raise ValidationError(f"参数 benefit_types 应为以下待遇类型的列表：{'、'.join(BENEFIT_TYPES)}")
    for i, t in enumerate(types):
        values[f"bt{i}"] = t
    return ", ".join(f"%(bt{i})s" for i in range(len(types)))


def duplicate_settlement(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    types = _types(params, values)
    return f"""
WITH g AS (
    SELECT person_id, institution_id, service_date, total_cost, MIN(id) AS first_id
    FROM benefits_settlement
    WHERE service_date BETWEEN %(start)s AND %(end)s AND status = 'settled' AND benefit_type IN ({types})
    GROUP BY person_id, institution_id, service_date, total_cost
    HAVING COUNT(*) > 1
)
{INSERT.format(amount=FUND, detail="'与结算单 ' || f.settlement_number || ' 为同一参保人、同一机构、同日同金额'")}
FROM g
JOIN benefits_settlement s ON s.person_id = g.person_id AND s.institution_id = g.institution_id
    AND s.service_date = g.service_date AND s.total_cost = g.total_cost
JOIN benefits_settlement f ON f.id = g.first_id
WHERE {IN_WINDOW} AND s.id <> g.first_id AND s.benefit_type IN ({types})
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


def split_admission(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    days = _int(params, "days", 15, high=90)
    same = params.get("same_institution", True)
    if not isinstance(same, bool):
        raise ValidationError("参数 same_institution 应为 true 或 false")
    values["days"] = days
    values["lookback"] = values["start"] - dt.timedelta(days=days)
    partition = "s.person_id, s.institution_id" if same else "s.person_id"
    gap = d.days_between("s.service_date", "ip.prev_discharge")
    detail = f"'出院（结算单 ' || ip.prev_number || '）后 ' || {d.text(gap)} || ' 天内再次入院'"
    return f"""
WITH ip AS (
    SELECT s.id, LAG(s.discharge_date) OVER w AS prev_discharge, LAG(s.settlement_number) OVER w AS prev_number
    FROM benefits_settlement s
    WHERE s.benefit_type = 'inpatient' AND s.status = 'settled' AND s.service_date <= %(end)s
      AND (s.service_date >= %(start)s OR s.discharge_date >= %(lookback)s)
    WINDOW w AS (PARTITION BY {partition} ORDER BY s.service_date, s.id)
)
{INSERT.format(amount=FUND, detail=detail)}
FROM ip JOIN benefits_settlement s ON s.id = ip.id
WHERE {IN_WINDOW} AND ip.prev_discharge IS NOT NULL AND ip.prev_discharge <= s.service_date
  AND {gap} <= %(days)s
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


def concurrent_inpatient(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    return f"""
WITH o AS (
    SELECT a.id, MIN(b.settlement_number) AS other_number
    FROM benefits_settlement a
    JOIN benefits_settlement b ON b.person_id = a.person_id AND b.benefit_type = 'inpatient'
        AND b.status = 'settled' AND b.institution_id <> a.institution_id
        AND b.service_date < a.discharge_date AND a.service_date < b.discharge_date
    WHERE a.benefit_type = 'inpatient' AND a.status = 'settled' AND a.service_date BETWEEN %(start)s AND %(end)s
    GROUP BY a.id
)
{INSERT.format(amount=FUND, detail="'住院期间与其他机构的住院（结算单 ' || o.other_number || '）重叠'")}
FROM o JOIN benefits_settlement s ON s.id = o.id
WHERE {IN_WINDOW}
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


def after_end_or_death(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    dead = "p.death_date IS NOT NULL AND s.service_date > p.death_date"
    detail = (
        f"CASE WHEN {dead} THEN '就诊日期晚于参保人死亡日期 ' || {d.text('p.death_date')} "
        "ELSE '就诊日期不在该参保人任何参保期内' END"
    )
    # Two halves joined by UNION, not OR: NOT EXISTS under an OR runs once per row; alone it is one anti-join.
    return f"""
WITH hit AS (
    SELECT s.id FROM benefits_settlement s JOIN enrollment_person p ON p.id = s.person_id
    WHERE {IN_WINDOW} AND {dead}
    UNION
    SELECT s.id FROM benefits_settlement s
    WHERE {IN_WINDOW} AND NOT EXISTS (
        SELECT 1 FROM enrollment_enrollment e
        WHERE e.person_id = s.person_id AND e.start_date <= s.service_date
          AND (e.end_date IS NULL OR e.end_date >= s.service_date))
)
{INSERT.format(amount=FUND, detail=detail)}
FROM hit JOIN benefits_settlement s ON s.id = hit.id JOIN enrollment_person p ON p.id = s.person_id
WHERE {IN_WINDOW}
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


def outpatient_cash_out(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    window = _int(params, "window_days", 30, low=2, high=366)
    values["min_purchases"] = _int(params, "min_purchases", 8, low=2, high=1000)
    types = _types(params, values, default=("pharmacy",))
    values["lookback"] = values["start"] - dt.timedelta(days=window - 1)
    values["lookahead"] = values["end"] + dt.timedelta(days=window - 1)
    day = d.day_number("s.service_date")
    detail = (
        f"'连续 {window} 天内个人账户购药 ' || {d.text('hit.n')} || ' 次（阈值 ' || "
        f"{d.text('%(min_purchases)s')} || ' 次）'"
    )
    # Trailing counts at each purchase; a purchase hits when some heavy window ending on a purchase
    # day within the next window_days - 1 days contains it.
    return f"""
WITH buys AS (
    SELECT s.id, s.person_id, {day} AS dn,
        COUNT(*) OVER (PARTITION BY s.person_id ORDER BY {day} RANGE BETWEEN {window - 1} PRECEDING AND CURRENT ROW)
            AS n_recent
    FROM benefits_settlement s
    WHERE s.benefit_type IN ({types}) AND s.account_paid > 0 AND s.status = 'settled'
      AND s.service_date BETWEEN %(lookback)s AND %(lookahead)s
),
heavy AS (SELECT person_id, dn, n_recent FROM buys WHERE n_recent >= %(min_purchases)s),
hit AS (
    SELECT b.id, MAX(h.n_recent) AS n
    FROM buys b JOIN heavy h ON h.person_id = b.person_id AND h.dn >= b.dn AND h.dn <= b.dn + {window - 1}
    GROUP BY b.id
)
{INSERT.format(amount="s.account_paid", detail=detail)}
FROM hit JOIN benefits_settlement s ON s.id = hit.id
WHERE {IN_WINDOW}
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


def over_cap(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    types = _types(params, values)
    values["year_start"] = dt.date(values["start"].year, 1, 1)
    rows = "s.status = 'settled' AND s.service_date BETWEEN %(year_start)s AND %(end)s"
    amount = "ROUND(CASE WHEN r.cum - s.pooled_paid >= r.cap THEN s.pooled_paid ELSE r.cum - r.cap END, 2)"
    detail = f"'统筹基金年度累计支付 ' || {d.money('r.cum')} || ' 元，超过年度支付限额 ' || {d.money('r.cap')} || ' 元'"
    # Half a fen of slack: SQLite sums decimals as floats.
    return f"""
WITH g AS (
    SELECT s.person_id, s.year, s.benefit_type
    FROM benefits_settlement s JOIN benefits_benefitpolicy bp ON bp.id = s.policy_id
    WHERE {rows} AND s.benefit_type IN ({types})
    GROUP BY s.person_id, s.year, s.benefit_type
    HAVING SUM(s.pooled_paid) > MIN(bp.annual_cap) + 0.005
),
r AS (
    SELECT s.id, bp.annual_cap AS cap,
        SUM(s.pooled_paid) OVER (PARTITION BY s.person_id, s.year, s.benefit_type ORDER BY s.service_date, s.id
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM g
    JOIN benefits_settlement s ON s.person_id = g.person_id AND s.year = g.year AND s.benefit_type = g.benefit_type
    JOIN benefits_benefitpolicy bp ON bp.id = s.policy_id
    WHERE {rows}
)
{INSERT.format(amount=amount, detail=detail)}
FROM r JOIN benefits_settlement s ON s.id = r.id
WHERE {IN_WINDOW} AND r.cum > r.cap + 0.005
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


_PREFIX = re.compile(r"^[A-Z][0-9A-Z.]{0,6}$")
_RANGE = re.compile(r"^([A-Z][0-9]{2})-([A-Z][0-9]{2})$")


def _codes(
    patterns: Any, name: str, values: dict[str, Any], *, key: str | None = None, d: Dialect | None = None
) -> str:
    """Diagnosis patterns as SQL: "O" or "N40" is a prefix, "N70-N98" a range of 3-character categories.
    `key` names the bound values (default: the parameter's name).

    With a dialect `d` a range compares the whole code by code point: SUBSTR(code, 1, 3) BETWEEN a AND b
    holds exactly when a <= code < b' (b' is b with its last character the next one), and it costs no
    substring per row. On PostgreSQL a prefix p is the range p <= code < p' too: both are what the index
    settlement_diagnosis_idx (the code COLLATE "C") reads, so the scan fetches the few settlements whose code
    some rule limits instead of testing every settlement of the year."""
    if not isinstance(patterns, list):
        raise ValidationError(f"参数 {name} 应为 ICD-10 编码前缀或区间的列表")
    parts = []
    for i, pattern in enumerate(patterns):
        key_i = f"{key or name}{i}"
        ranged = _RANGE.match(pattern) if isinstance(pattern, str) else None
        if ranged:
            low, high = ranged.groups()
            values[f"{key_i}a"] = low
            if d is None:
                values[f"{key_i}b"] = high
                parts.append(f"SUBSTR(s.diagnosis_code, 1, 3) BETWEEN %({key_i}a)s AND %({key_i}b)s")
            else:
                values[f"{key_i}n"] = high[:-1] + chr(ord(high[-1]) + 1)
                code = d.binary("s.diagnosis_code")
                parts.append(f"({code} >= %({key_i}a)s AND {code} < %({key_i}n)s)")
        elif isinstance(pattern, str) and _PREFIX.match(pattern) and d is not None and d.vendor == "postgresql":
            # The same codes as LIKE 'N40%' (case-sensitive there too), in a form the settlement's diagnosis
            # index (on the code by code point) serves.
            values[f"{key_i}a"], values[f"{key_i}n"] = pattern, pattern[:-1] + chr(ord(pattern[-1]) + 1)
            code = d.binary("s.diagnosis_code")
            parts.append(f"({code} >= %({key_i}a)s AND {code} < %({key_i}n)s)")
        elif isinstance(pattern, str) and _PREFIX.match(pattern):
            values[key_i] = f"{pattern}%"
            parts.append(f"s.diagnosis_code LIKE %({key_i})s")
        else:
            raise ValidationError(f"参数 {name} 中的 {pattern!r} 不是 ICD-10 编码前缀或区间（如 O、N40、N70-N98）")
    return "(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"


def gender_age(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    female = _codes(params.get("female_only", []), "female_only", values)
    male = _codes(params.get("male_only", []), "male_only", values)
    children = params.get("child_only_prefixes", {})
    if not isinstance(children, dict):
        raise ValidationError("参数 child_only_prefixes 应为 {编码前缀: 年龄上限} 的对象")
    code_hits = [female, male]
    whens = [
        f"WHEN p.gender = 'M' AND {female} THEN '男性参保人，诊断 ' || s.diagnosis_code || ' 限女性'",
        f"WHEN p.gender = 'F' AND {male} THEN '女性参保人，诊断 ' || s.diagnosis_code || ' 限男性'",
    ]
    for i, prefix in enumerate(sorted(children)):
        codes = _codes([prefix], f"child{i}_", values)
        years = _int(children, prefix, 1, low=1, high=18)
        code_hits.append(codes)
        adult = f"s.service_date >= {d.plus_years('p.birth_date', years)}"
        said = f"' 限 {years} 周岁以下，就诊时已满 {years} 周岁'"
        whens.append(f"WHEN {codes} AND {adult} THEN '诊断 ' || s.diagnosis_code || {said}")
    detail = "CASE " + " ".join(whens) + " END"
    return f"""
{INSERT.format(amount=FUND, detail=detail)}
FROM benefits_settlement s JOIN enrollment_person p ON p.id = s.person_id
WHERE {IN_WINDOW} AND s.diagnosis_code <> '' AND ({" OR ".join(code_hits)}) AND ({detail}) IS NOT NULL
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


# 异地就医 (issue 16; 004 "推动医保基金监管异地协查"): a settlement of care outside the city has a care area
# (benefits_settlement.care_area_code <> ''); one in the city has none.
ELSEWHERE = "care_area_code <> ''"


def remote_direct_and_manual(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    """The same stay paid twice: settled directly elsewhere through the cross-region platform and reimbursed
    by a clerk (零星报销). Periods are service_date..discharge_date (one day without a discharge), both days
    included: the same stay has the same dates. The manual one is the hit; the detail names the direct one."""
    types = _types(params, values)
    end = "COALESCE({0}.discharge_date, {0}.service_date)"
    return f"""
WITH o AS (
    SELECT m.id, MIN(r.settlement_number) AS other_number
    FROM benefits_settlement m
    JOIN benefits_settlement r ON r.person_id = m.person_id AND r.kind = 'direct' AND r.{ELSEWHERE}
        AND r.status = 'settled' AND r.service_date <= {end.format("m")} AND m.service_date <= {end.format("r")}
    WHERE m.kind = 'manual' AND m.status = 'settled' AND m.service_date BETWEEN %(start)s AND %(end)s
      AND m.benefit_type IN ({types})
    GROUP BY m.id
)
{INSERT.format(amount=FUND, detail="'同一就医已在异地直接结算（结算单 ' || o.other_number || '），又办理零星报销'")}
FROM o JOIN benefits_settlement s ON s.id = o.id
WHERE {IN_WINDOW}
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


_A_STAY, _B_STAY = "a.benefit_type = 'inpatient'", "b.benefit_type = 'inpatient'"
# Settlements a and b of one person overlap: two stays, or a day inside a stay (a stay's discharge day is free).
OVERLAP = f"""(
        ({_A_STAY} AND {_B_STAY} AND b.service_date < a.discharge_date AND a.service_date < b.discharge_date)
        OR (NOT {_A_STAY} AND {_B_STAY} AND b.service_date <= a.service_date AND a.service_date < b.discharge_date)
        OR ({_A_STAY} AND NOT {_B_STAY} AND a.service_date <= b.service_date AND b.service_date < a.discharge_date))"""


def home_and_remote_overlap(params: dict, d: Dialect, values: dict[str, Any]) -> str:
    """Treated in the city and elsewhere at once: two settlements of one person, one with a care area and one
    without, where two inpatient stays overlap or an outpatient (or pharmacy) day falls inside a stay. A stay
    runs from admission up to its discharge day, which is free (a transfer on the discharge day is no overlap,
    as for 跨机构同时住院). Two visits on one day are not enough. The later-recorded settlement (higher id) is
    the hit; the detail names the earlier one."""
    types = _types(params, values)
    other = "(CASE WHEN o.other_elsewhere = 1 THEN '异地就医结算 ' ELSE '本地结算 ' END)"
    detail = f"'与' || {other} || o.other_number || ' 的就医日期重叠'"
    return f"""
WITH o AS (
    SELECT a.id, MIN(b.settlement_number) AS other_number, MAX(CASE WHEN b.{ELSEWHERE} THEN 1 ELSE 0 END)
        AS other_elsewhere
    FROM benefits_settlement a
    JOIN benefits_settlement b ON b.person_id = a.person_id AND b.id < a.id AND b.status = 'settled'
        AND ((a.care_area_code = '' AND b.{ELSEWHERE}) OR (a.{ELSEWHERE} AND b.care_area_code = ''))
        AND {OVERLAP}
    WHERE a.status = 'settled' AND a.service_date BETWEEN %(start)s AND %(end)s AND a.benefit_type IN ({types})
    GROUP BY a.id
)
{INSERT.format(amount=FUND, detail=detail)}
FROM o JOIN benefits_settlement s ON s.id = o.id
WHERE {IN_WINDOW}
{CONFLICT}"""  # noqa: S608  (fixed fragments and checked integers only)


BUILDERS = {
    "duplicate_settlement": duplicate_settlement,
    "split_admission": split_admission,
    "concurrent_inpatient": concurrent_inpatient,
    "after_end_or_death": after_end_or_death,
    "outpatient_cash_out": outpatient_cash_out,
    "over_cap": over_cap,
    "gender_age": gender_age,
    "remote_direct_and_manual": remote_direct_and_manual,
    "home_and_remote_overlap": home_and_remote_overlap,
}
