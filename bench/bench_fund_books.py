"""基金账簿 at city scale: posting and reconciling N bills + N payments + N settlements (default 1,000,000 each).

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_fund_books.py --rows 1000000 [--keep]

Builds, with set-based SQL in a throw-away database, N people over the 38 districts (1 in 4 an employee with
a personal account), their N bills for 2023 (residents from the standard with its fiscal subsidy, 2% aided;
employees with the employer's share; 10% unpaid, 5% partly paid, 10% paid in two instalments), the N payments
those bills imply, dated over ten months, and N settlements over 2023 (outpatient, inpatient with 大病 and
救助 parts, pharmacy paid from the own or, 家庭共济, a relative's account in another district; 1% reversed).

Then, from empty books, it times `books_backfill` (posting every record: the rules' GROUP BYs, then summary
entries in bulk), `books_reconcile` (must find no difference; issue target < 30 s at 1M), and a second
backfill (must post nothing). The floor, in the same run: plain GROUP BYs over the same records with the
rules' keys and sums, nothing else; each phase prints floor / product (<= 1). Last, the cost of one event:
`payment_record` on 2,000 fresh bills (posting its entries in its own transaction), the same with posting
stubbed out, and 2,000 payments by one bulk_create with no posting at all.
"""

import argparse
import json
import os
import time
from unittest import mock

from _db import bench_database, peak_rss_mb, scalar
from synth_city import CHONGQING_DISTRICTS

TARGET_SECONDS = 30.0  # books_reconcile at 1M of each record (issue)
TARGET_ROWS = 1_000_000
EVENTS = 2_000
HOSPITALS, PHARMACIES = 200, 300
TZ = "Asia/Shanghai"


def _policies(c) -> dict[str, int]:
    from django.conf import settings

    from benefits.models import BenefitPolicy
    from benefits.services import benefit_policy_load

    if not BenefitPolicy.objects.filter(year=2023).exists():
        path = settings.BASE_DIR / "benefits/reference/policy_2023.json"
        benefit_policy_load(actor=None, document=json.loads(path.read_text(encoding="utf-8")))
    found = {}
    sql = "SELECT MIN(id) FROM benefits_benefitpolicy WHERE year = 2023 AND benefit_type = %s"
    for scheme in ("resident", "employee"):
        for kind in ("outpatient", "chronic", "inpatient", "pharmacy"):
            found[f"{scheme[0]}_{kind}"] = scalar(c, sql + " AND scheme = %s", [kind, scheme]) or scalar(c, sql, [kind])
    return found


# Person i (0-based): district i % D; an employee when i % 4 = 0 (with the personal account number i / 4).
PEOPLE = """
INSERT INTO enrollment_person (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
SELECT '5001' || lpad(g::text, 14, '0'), '参保人' || g, CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END,
       DATE '1950-01-01' + (g * 7 %% 25000)::int, '', (%(districts)s::bigint[])[1 + g %% %(nd)s], now(), now()
FROM generate_series(0, %(n)s - 1) g ORDER BY g
"""
ENROLLMENTS = """
INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
    start_date, status, end_reason, created_at, updated_at)
SELECT p.id, x.scheme,
       CASE WHEN x.scheme = 'employee' THEN CASE WHEN x.i %% 5 = 0 THEN 'flexible' ELSE 'active' END
            ELSE (ARRAY['adult', 'minor', 'student'])[1 + x.i %% 3] END,
       CASE WHEN x.scheme = 'resident' THEN CASE WHEN x.i %% 10 < 7 THEN 1 ELSE 2 END END,
       p.district_id, CASE WHEN x.scheme = 'employee' THEN 4000 + x.i %% 16000 END,
       DATE '2022-01-01', 'active', '', now(), now()
FROM enrollment_person p
CROSS JOIN LATERAL (SELECT p.id - %(p0)s AS i,
                           CASE WHEN (p.id - %(p0)s) %% 4 = 0 THEN 'employee' ELSE 'resident' END AS scheme) x
ORDER BY p.id
"""
ACCOUNTS = """
INSERT INTO benefits_personalaccount (person_id, district_id, balance, created_at, updated_at)
SELECT id, district_id, 0, now(), now() FROM enrollment_person WHERE (id - %(p0)s) %% 4 = 0 ORDER BY id
"""
# Bill kind k = i % 20: 0-1 unpaid, 2 partly paid (one payment), 3-4 paid in two instalments, else paid at once.
# The amounts and days of the payments follow from i, so PAYMENTS rebuilds them from the bill alone.
BILLS = """
INSERT INTO contributions_contributionbill (person_id, enrollment_id, district_id, coverage_year, scheme,
    due_amount, subsidy_amount, paid_amount, status, employer_due, fiscal_subsidy, paid_on, created_at, updated_at)
SELECT e.person_id, e.id, e.district_id, 2023, e.scheme, a.due, a.subsidy,
       CASE WHEN a.k < 2 THEN 0 WHEN a.k = 2 THEN ROUND((a.due - a.subsidy) / 2, 2) ELSE a.due - a.subsidy END,
       CASE WHEN a.k < 2 THEN 'unpaid' WHEN a.k = 2 THEN 'partial' ELSE 'paid' END,
       a.employer, a.fiscal,
       CASE WHEN a.k IN (3, 4) THEN a.d1 + (15 + a.i %% 30)::int WHEN a.k > 4 THEN a.d1 END,
       a.issued, a.issued
FROM enrollment_enrollment e
JOIN contributions_contributionstandard s
  ON s.year = 2023 AND s.scheme = e.scheme AND s.category = e.category AND s.tier IS NOT DISTINCT FROM e.tier
CROSS JOIN LATERAL (SELECT e.id - %(e0)s AS i) x
CROSS JOIN LATERAL (SELECT x.i, x.i %% 20 AS k,
    CASE WHEN e.scheme = 'employee'
         THEN ROUND(e.contribution_base * (s.employer_rate + s.individual_rate) * 12, 2)
         ELSE s.individual_amount END AS due,
    CASE WHEN e.scheme = 'employee' THEN ROUND(e.contribution_base * s.employer_rate * 12, 2) ELSE 0 END
        AS employer,
    CASE WHEN e.scheme = 'resident' AND x.i %% 50 IN (5, 6) THEN 100 * (x.i %% 50 - 4) ELSE 0 END AS subsidy,
    CASE WHEN e.scheme = 'resident' THEN s.fiscal_subsidy ELSE 0 END AS fiscal,
    DATE '2022-09-01' + (x.i * 13 %% 300)::int AS d1,
    TIMESTAMPTZ '2022-08-20 09:00:00+08' + (x.i %% 10) * INTERVAL '1 day' + (x.i * 37 %% 36000) * INTERVAL '1 second'
        AS issued) a
ORDER BY e.id
"""
PAYMENTS = """
INSERT INTO contributions_contributionpayment (bill_id, amount, paid_on, reference, channel, recorded_at)
SELECT b.id, CASE WHEN n = 1 THEN p.first ELSE b.due_amount - b.subsidy_amount - p.first END,
       CASE WHEN n = 1 THEN p.d1 ELSE b.paid_on END, 'P' || b.id || '-' || n,
       (ARRAY['counter', 'tax', 'api', 'file'])[1 + p.i %% 4], now()
FROM contributions_contributionbill b
CROSS JOIN LATERAL (SELECT b.enrollment_id - %(e0)s AS i) x
CROSS JOIN LATERAL (SELECT x.i, DATE '2022-09-01' + (x.i * 13 %% 300)::int AS d1,
    CASE x.i %% 20 WHEN 2 THEN ROUND((b.due_amount - b.subsidy_amount) / 2, 2)
                   WHEN 3 THEN ROUND((b.due_amount - b.subsidy_amount) / 3, 2)
                   WHEN 4 THEN ROUND((b.due_amount - b.subsidy_amount) / 3, 2)
                   ELSE b.due_amount - b.subsidy_amount END AS first) p
CROSS JOIN generate_series(1, 2) n
WHERE b.coverage_year = 2023 AND b.status <> 'unpaid' AND (n = 1 OR x.i %% 20 IN (3, 4))
ORDER BY b.id, n
"""
# Settlement g: person pi = g * 7919 mod N, type by g % 20, paid on day g % 365 of 2023 at a time that crosses
# midnight UTC (the books date it in Shanghai). Employees' pharmacy and a third of their outpatient visits are
# paid from the own account; a fifth of residents' pharmacy from the employee of their group of four (家庭共济,
# an account in another district).
SETTLEMENTS = """
INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
    district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year,
    total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid, out_of_pocket,
    aid_recipient, account_id, policy_id, steps, request_fingerprint, settled_at, reversed_at, reversal_reason,
    created_at, updated_at)
SELECT CASE WHEN t.kind = 'pharmacy' THEN %(i0)s + %(h)s + g %% %(ph)s ELSE %(i0)s + g %% %(h)s END,
       'B' || g, 'direct', CASE WHEN g %% 100 = 99 THEN 'reversed' ELSE 'settled' END,
       %(p0)s + x.pi, %(e0)s + x.pi, (%(districts)s::bigint[])[1 + x.pi %% %(nd)s], x.scheme, t.kind,
       CASE WHEN t.kind = 'pharmacy' THEN 0 ELSE g %% %(h)s %% 3 + 1 END, 'J06.9',
       DATE '2023-01-01' + (g %% 365)::int,
       CASE WHEN t.kind = 'inpatient' THEN DATE '2023-01-01' + (g %% 365 + 3)::int END, 2023,
       b.total, b.total, 0, a.pooled, a.critical, a.aid, a.account,
       b.total - a.pooled - a.critical - a.aid - a.account, a.aid > 0,
       CASE WHEN a.account > 0 THEN %(a0)s + x.pi / 4 END,
       CASE WHEN x.scheme = 'employee' THEN
            CASE t.kind WHEN 'outpatient' THEN %(e_outpatient)s WHEN 'chronic' THEN %(e_chronic)s
                        WHEN 'inpatient' THEN %(e_inpatient)s ELSE %(e_pharmacy)s END
       ELSE CASE t.kind WHEN 'outpatient' THEN %(r_outpatient)s WHEN 'chronic' THEN %(r_chronic)s
                        WHEN 'inpatient' THEN %(r_inpatient)s ELSE %(r_pharmacy)s END END,
       '[]', '', d.settled_at,
       CASE WHEN g %% 100 = 99 THEN d.settled_at + INTERVAL '2 days 5 hours' END,
       CASE WHEN g %% 100 = 99 THEN '结算有误' ELSE '' END, now(), now()
FROM generate_series(1::bigint, %(n)s) g
CROSS JOIN LATERAL (SELECT (g * 7919) %% %(n)s AS pi,
                           CASE WHEN (g * 7919) %% %(n)s %% 4 = 0 THEN 'employee' ELSE 'resident' END AS scheme) x
CROSS JOIN LATERAL (SELECT CASE WHEN g %% 20 < 10 THEN 'outpatient' WHEN g %% 20 < 12 THEN 'inpatient'
                                WHEN g %% 20 < 19 THEN 'pharmacy' ELSE 'chronic' END AS kind) t
CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '2023-01-01 00:00:00+08' + (g %% 365) * INTERVAL '1 day'
                           + (g * 97 %% 86400) * INTERVAL '1 second' AS settled_at) d
CROSS JOIN LATERAL (SELECT
    CASE t.kind WHEN 'inpatient' THEN 3000 + g %% 20000 WHEN 'pharmacy' THEN 20 + g %% 180
                ELSE 50 + g %% 100 END::numeric(12, 2) AS total) b
CROSS JOIN LATERAL (SELECT
    CASE t.kind WHEN 'inpatient' THEN ROUND(b.total * 0.6, 2) WHEN 'pharmacy' THEN 0 ELSE ROUND(b.total * 0.3, 2) END
        AS pooled,
    CASE WHEN t.kind = 'inpatient' AND g %% 40 < 10 THEN ROUND(b.total * 0.1, 2) ELSE 0 END AS critical,
    CASE WHEN t.kind = 'inpatient' AND g %% 100 < 5 THEN ROUND(b.total * 0.05, 2) ELSE 0 END AS aid,
    CASE WHEN t.kind = 'pharmacy' AND (x.scheme = 'employee' OR g %% 5 = 0) THEN b.total
         WHEN t.kind = 'outpatient' AND x.scheme = 'employee' AND g %% 3 = 0 THEN ROUND(b.total * 0.2, 2)
         ELSE 0 END AS account) a
"""
INSTITUTIONS = """
INSERT INTO benefits_institution (code, name, kind, level, district_id, agreement_status, agreement_start,
    on_inspection_list, credit_measure_reason, created_at, updated_at)
SELECT CASE WHEN g <= %(h)s THEN 'H' ELSE 'P' END || '500100' || lpad(g::text, 5, '0'), '机构' || g,
       CASE WHEN g <= %(h)s THEN 'hospital' ELSE 'pharmacy' END, CASE WHEN g <= %(h)s THEN g %% 3 + 1 ELSE 0 END,
       (%(districts)s::bigint[])[1 + g %% %(nd)s], 'active', DATE '2020-01-01', false, '', now(), now()
FROM generate_series(1, %(h)s + %(ph)s) g ORDER BY g
"""


def build(n: int) -> dict[str, int]:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT id FROM core_district WHERE code = ANY(%s) ORDER BY code", [CHONGQING_DISTRICTS])
        districts = [r[0] for r in c.fetchall()]
        v = {"n": n, "districts": districts, "nd": len(districts), "h": HOSPITALS, "ph": PHARMACIES}
        v |= _policies(c)
        c.execute(PEOPLE, v)
        v["p0"] = scalar(c, "SELECT MIN(id) FROM enrollment_person")
        c.execute(ENROLLMENTS, v)
        v["e0"] = scalar(c, "SELECT MIN(id) FROM enrollment_enrollment")
        c.execute(ACCOUNTS, v)
        v["a0"] = scalar(c, "SELECT MIN(id) FROM benefits_personalaccount")
        # Row i of each table is id0 + i: the SQL above relies on it.
        for table in ("enrollment_person", "enrollment_enrollment"):
            assert scalar(c, f"SELECT MAX(id) - MIN(id) + 1 FROM {table}") == n, table  # noqa: S608
        assert scalar(c, "SELECT MAX(id) - MIN(id) + 1 FROM benefits_personalaccount") == (n + 3) // 4
        c.execute(INSTITUTIONS, v)
        v["i0"] = scalar(c, "SELECT MIN(id) FROM benefits_institution")
        c.execute(BILLS, v)
        c.execute(PAYMENTS, v)
        c.execute(SETTLEMENTS, v)
        counts = {
            table: scalar(c, f"SELECT count(*) FROM {table}")  # noqa: S608
            for table in ("contributions_contributionbill", "contributions_contributionpayment", "benefits_settlement")
        }
    with connection.cursor() as c:
        c.execute("VACUUM (ANALYZE)")  # hint bits and visibility: no phase pays for the load's leftovers
    return v | counts


# The floor: each rule's GROUP BY as one plain statement (same records, keys and sums), nothing more.
FLOOR = {
    "payment": """
        SELECT b.district_id, b.coverage_year, p.paid_on, b.scheme, SUM(p.amount),
               SUM(CASE WHEN b.due_amount > 0 THEN ROUND(p.amount * b.employer_due / b.due_amount, 2) ELSE 0 END)
        FROM contributions_contributionpayment p JOIN contributions_contributionbill b ON b.id = p.bill_id
        GROUP BY 1, 2, 3, 4""",
    "bill": f"""
        SELECT district_id, coverage_year, (created_at AT TIME ZONE '{TZ}')::date, scheme, SUM(subsidy_amount)
        FROM contributions_contributionbill WHERE subsidy_amount > 0 GROUP BY 1, 2, 3, 4""",
    "fiscal_subsidy": """
        SELECT district_id, coverage_year, paid_on, SUM(fiscal_subsidy), COUNT(*) FILTER (WHERE scheme = 'resident')
        FROM contributions_contributionbill WHERE status = 'paid' AND paid_on IS NOT NULL GROUP BY 1, 2, 3""",
    "settlement": f"""
        SELECT district_id, year, (settled_at AT TIME ZONE '{TZ}')::date, scheme, benefit_type,
               SUM(pooled_paid), SUM(critical_paid), SUM(aid_paid)
        FROM benefits_settlement GROUP BY 1, 2, 3, 4, 5""",
    "settlement account": f"""
        SELECT a.district_id, s.year, (s.settled_at AT TIME ZONE '{TZ}')::date, SUM(s.account_paid)
        FROM benefits_settlement s LEFT JOIN benefits_personalaccount a ON a.id = s.account_id
        WHERE s.account_paid > 0 GROUP BY 1, 2, 3""",
    "reversal": f"""
        SELECT district_id, year, (reversed_at AT TIME ZONE '{TZ}')::date, scheme, benefit_type,
               SUM(pooled_paid), SUM(critical_paid), SUM(aid_paid)
        FROM benefits_settlement WHERE status = 'reversed' AND reversed_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5""",
    "reversal account": f"""
        SELECT a.district_id, s.year, (s.reversed_at AT TIME ZONE '{TZ}')::date, SUM(s.account_paid)
        FROM benefits_settlement s LEFT JOIN benefits_personalaccount a ON a.id = s.account_id
        WHERE s.status = 'reversed' AND s.reversed_at IS NOT NULL AND s.account_paid > 0 GROUP BY 1, 2, 3""",
}


def floor() -> dict[str, float]:
    from django.db import connection

    seconds = {}
    with connection.cursor() as c:
        for name, sql in FLOOR.items():
            t = time.perf_counter()
            c.execute(sql)
            c.fetchall()
            seconds[name] = time.perf_counter() - t
    return seconds


def rules_alone() -> dict[str, float]:
    """Each registered rule over every record, as reconcile runs it (where the time goes, rule by rule)."""
    from core.ledger import RULES

    seconds = {}
    for source, rule in RULES.items():
        t = time.perf_counter()
        list(rule.rows())
        seconds[source] = time.perf_counter() - t
    return seconds


def event_bills(n: int) -> list[list[int]]:
    """3 x EVENTS unpaid 2024 bills (no aid, so issuing them posts nothing) for the first people."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            """
            INSERT INTO contributions_contributionbill (person_id, enrollment_id, district_id, coverage_year,
                scheme, due_amount, subsidy_amount, paid_amount, status, employer_due, fiscal_subsidy, created_at,
                updated_at)
            SELECT person_id, enrollment_id, district_id, 2024, scheme, due_amount, 0, 0, 'unpaid', employer_due,
                   fiscal_subsidy, now(), now()
            FROM contributions_contributionbill WHERE coverage_year = 2023 ORDER BY id LIMIT %s
            RETURNING id
            """,
            [3 * EVENTS],
        )
        ids = sorted(r[0] for r in c.fetchall())
    assert len(ids) == 3 * EVENTS, f"--rows must be at least {3 * EVENTS}"
    return [ids[k * EVENTS : (k + 1) * EVENTS] for k in range(3)]


def single_events(batches: list[list[int]]) -> dict[str, float]:
    """Seconds for EVENTS payments each way: payment_record as is, with its postings stubbed, bulk_create."""
    import datetime as dt

    import contributions.services as services
    from contributions.models import ContributionBill, ContributionPayment

    day = dt.date(2024, 1, 15)
    posted, stubbed, bulk = (list(ContributionBill.objects.filter(pk__in=ids).order_by("pk")) for ids in batches)

    def record(bills: list, tag: str) -> float:
        t = time.perf_counter()
        for bill in bills:
            services.payment_record(
                actor=None, bill=bill, amount=bill.outstanding, paid_on=day, reference=f"{tag}-{bill.pk}",
                channel="counter",
            )  # fmt: skip
        return time.perf_counter() - t

    seconds = {"payment_record": record(posted, "EV")}
    with mock.patch.object(services, "event_post", lambda **kwargs: []):
        seconds["payment_record, posting stubbed"] = record(stubbed, "NP")
    t = time.perf_counter()
    ContributionPayment.objects.bulk_create(
        ContributionPayment(bill=b, amount=b.outstanding, paid_on=day, reference=f"BK-{b.pk}", channel="counter")
        for b in bulk
    )
    seconds["bulk_create, no posting"] = time.perf_counter() - t
    return seconds


def _ratio(floor_s: float, product_s: float) -> str:
    ratio = floor_s / product_s
    return f"{ratio:.2f}" + ("  <- above 1: the floor does more than the product, it is wrong" if ratio > 1 else "")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=TARGET_ROWS, help="bills, payments and settlements each")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    n = args.rows
    if args.keep:
        os.environ["BENCH_KEEP_DB"] = "1"
    with bench_database("fbbench"):
        from core.ledger import books_backfill, books_reconcile
        from core.models.ledger import JournalEntry, JournalLine

        t = time.perf_counter()
        built = build(n)
        bills = built["contributions_contributionbill"]
        payments = built["contributions_contributionpayment"]
        settlements = built["benefits_settlement"]
        records = bills + payments + settlements
        print(
            f"built {bills:,} bills, {payments:,} payments, {settlements:,} settlements "
            f"over {built['nd']} districts in {time.perf_counter() - t:.1f} s"
        )
        assert payments == n, payments

        floor_before = floor()  # also warms the cache for the backfill, as the second run does for the floor
        t = time.perf_counter()
        first = books_backfill(actor=None)
        backfill = time.perf_counter() - t
        entries, lines = JournalEntry.objects.count(), JournalLine.objects.count()
        t = time.perf_counter()
        differences = books_reconcile()
        reconcile = time.perf_counter() - t
        t = time.perf_counter()
        again = books_backfill(actor=None)
        rerun = time.perf_counter() - t
        floor_after = floor()
        rules = rules_alone()
        floor_by = {k: min(floor_before[k], floor_after[k]) for k in FLOOR}
        floor_s = sum(floor_by.values())

        print(f"backfill from empty books: {backfill:.1f} s = {records / backfill:,.0f} records/s posted "
              f"({entries:,} entries, {lines:,} lines; {first})")  # fmt: skip
        print(f"reconcile: {reconcile:.1f} s, {len(differences)} differences (target < {TARGET_SECONDS:.0f} s at 1M)")
        print(f"second backfill (posts 0): {rerun:.1f} s; {again}")
        runs = f"before {sum(floor_before.values()):.1f} s, after {sum(floor_after.values()):.1f} s"
        print(f"floor, plain GROUP BYs over the same records: {floor_s:.1f} s ({runs}; the lower of each)")
        for name, seconds in floor_by.items():
            print(f"  floor {name:<20} {seconds:6.2f} s")
        for name, seconds in rules.items():
            print(f"  rule  {name:<20} {seconds:6.2f} s")

        from django.db import connection

        with connection.cursor() as c:
            c.execute("ANALYZE contributions_contributionbill")
        events = single_events(event_bills(n))
        catch_up = books_backfill(actor=None, year=2024)  # the stubbed and bulk payments, unposted so far
        assert not books_reconcile(year=2024), "2024 books disagree after the event runs"

        print()
        print(f"{'phase':<36}{'seconds':>9}{'per second':>14}{'floor/product':>15}")
        print(f"{'backfill (posting ' + format(records, ',') + ')':<36}{backfill:>9.1f}"
              f"{records / backfill:>14,.0f}   {_ratio(floor_s, backfill)}")  # fmt: skip
        print(f"{'reconcile':<36}{reconcile:>9.1f}{records / reconcile:>14,.0f}   {_ratio(floor_s, reconcile)}")
        print(f"{'second backfill (idempotent)':<36}{rerun:>9.1f}{records / rerun:>14,.0f}   {_ratio(floor_s, rerun)}")
        print(f"{'floor: plain GROUP BYs':<36}{floor_s:>9.1f}{records / floor_s:>14,.0f}")
        print()
        print(f"{'one event, x' + format(EVENTS, ','):<36}{'seconds':>9}{'ms/event':>14}")
        for name, seconds in events.items():
            print(f"{name:<36}{seconds:>9.2f}{seconds * 1000 / EVENTS:>14.2f}")
        posting_ms = (events["payment_record"] - events["payment_record, posting stubbed"]) * 1000 / EVENTS
        print(f"posting's share of payment_record: {posting_ms:.2f} ms/event; catch-up backfill 2024: {catch_up}")
        print(f"peak RSS {peak_rss_mb():.0f} MB")

        failures = []
        if differences:
            failures.append(f"reconcile found {len(differences)} differences, e.g. {differences[:3]}")
        if any(again.values()):
            failures.append(f"second backfill posted {again}")
        limit = TARGET_SECONDS * max(1.0, n / TARGET_ROWS)
        if reconcile >= limit:
            failures.append(f"reconcile {reconcile:.1f} s >= {limit:.0f} s")
        for failure in failures:
            print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
