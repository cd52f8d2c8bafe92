"""年度结转 (annual_rollover) at city scale, under three kinds of statistics, against a floor measured in the same run.

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_rollover.py --persons 1000000 --stats all

Builds N insured persons in a throw-away database with set-based SQL: one in three an employee (a quarter of them
retired), the rest residents, one in 25 of them a student graduating in the year. Then, the way the year really
ends: the year's and the next year's resident bills by the annual collection job itself (9 in 10 of the year's
marked paid), one settlement per person (one in a hundred reversed) with its annual accumulator, and the personal
accounts credited for months 1-11. The timed run is the job as `manage.py annual_rollover` runs it: graduates'
enrollments closed, month 12 credited and months 1-11 made good (they add nothing), next year opened, and the
year-end summary (GROUP BYs over the year's bills, settlements and accumulators, and one probe of next year's bills
per active resident). A re-run must change nothing. Each statistics variant starts from empty tables:

* fresh: everything is ANALYZEd after the build (the statistics are right);
* empty: every table is ANALYZEd while still empty (a new database after a routine `vacuumdb --analyze`), then
  filled; nothing analyses it again before the run (the collection analyses the bill partitions it builds);
* one-percent: the tables are ANALYZEd when 1% is built, collected, settled and credited; then the other 99%.

Autovacuum is switched off on the tables the run touches, so the statistics stay what the variant made them.

The floor is the physical limit of the same work, in the same run: one plain read (count) of each table the
summary reads (the year's enrollments, bills, settlements and accumulators, next year's bills) and the month's
ledger lines INSERT..SELECTed into a bare table (no index, no key), committed. Rows are the rows of that work:
the same count for the job and the floor. Issue 14 point 4: every variant within 1.5x of the fresh one.
"""

import argparse
import json
import time

from _db import bench_database, peak_rss_mb, scalar, stats_argument, stats_variants, within_fresh
from bench_account_credits import raw_floor

YEAR = 2023
CITY = 18_000_000
TABLES = (
    "enrollment_person",
    "enrollment_enrollment",
    "contributions_contributionbill_default",
    "benefits_settlement",
    "benefits_annualaccumulator",
    "benefits_personalaccount",
    "benefits_accountentry",
    "core_journalentry",
    "core_journalline",
)
KINDS = ("outpatient", "inpatient", "pharmacy", "chronic")


def prepare() -> None:
    """Once per database: the year's benefit policy, next year's standards as the bureau sets them, two
    institutions (a hospital, a pharmacy)."""
    from django.conf import settings
    from django.db import connection

    from benefits.models import BenefitPolicy
    from benefits.services import benefit_policy_load

    if not BenefitPolicy.objects.filter(year=YEAR).exists():
        path = settings.BASE_DIR / f"benefits/reference/policy_{YEAR}.json"
        benefit_policy_load(actor=None, document=json.loads(path.read_text(encoding="utf-8")))
    with connection.cursor() as c:
        c.execute(
            """
            INSERT INTO contributions_contributionstandard
            SELECT * FROM json_populate_recordset(NULL::contributions_contributionstandard, (
                SELECT json_agg(to_json(s)::jsonb || jsonb_build_object(
                    'id', (SELECT MAX(id) FROM contributions_contributionstandard) + row_number,
                    'year', s.year + 1, 'source', 'bench'))
                FROM (SELECT *, row_number() OVER () FROM contributions_contributionstandard WHERE year = %s) s))
            WHERE NOT EXISTS (SELECT 1 FROM contributions_contributionstandard WHERE year = %s)
            """,
            [YEAR, YEAR + 1],
        )
        district = scalar(c, "SELECT id FROM core_district WHERE code = '500103'")
        c.execute(
            """
            INSERT INTO benefits_institution (code, name, kind, level, district_id, agreement_status,
                agreement_start, on_inspection_list, credit_measure_reason, created_at, updated_at)
            SELECT code, name, kind, level, %s, 'active', DATE '2020-01-01', false, '', now(), now()
            FROM (VALUES ('H50010399901', '结转医院', 'hospital', 2), ('P50010399901', '结转药店', 'pharmacy', 0))
                v(code, name, kind, level)
            ON CONFLICT DO NOTHING
            """,
            [district],
        )


def build(first: int, count: int) -> None:
    """Persons first+1 .. first+count (ids follow; tables are truncated with RESTART IDENTITY), their
    enrollments, one settlement each and their accumulators."""
    from django.db import connection

    with connection.cursor() as c:
        district = scalar(c, "SELECT id FROM core_district WHERE code = '500103'")
        c.execute(
            """
            INSERT INTO enrollment_person
                (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
            SELECT '500103' || lpad(g::text, 12, '0'), '参保人' || g, 'F', DATE '1980-01-01', '', %s, now(), now()
            FROM generate_series(%s, %s) g
            """,
            [district, first + 1, first + count],
        )
        c.execute(
            """
            INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
                graduation_year, start_date, status, end_reason, created_at, updated_at)
            SELECT p.id, CASE WHEN p.id %% 3 = 0 THEN 'employee' ELSE 'resident' END,
                   CASE WHEN p.id %% 12 = 0 THEN 'retired' WHEN p.id %% 3 = 0 THEN 'active'
                        WHEN p.id %% 25 = 1 THEN 'student' ELSE 'adult' END,
                   CASE WHEN p.id %% 3 <> 0 THEN 1 + p.id %% 2 END, p.district_id,
                   CASE WHEN p.id %% 3 = 0 THEN 4000 + p.id %% 16000 END,
                   CASE WHEN p.id %% 3 <> 0 AND p.id %% 25 = 1 THEN %s END,
                   DATE '2022-01-01', 'active', '', now(), now()
            FROM enrollment_person p WHERE p.id > %s ORDER BY p.id
            """,
            [YEAR, first],
        )
        hospital = scalar(c, "SELECT id FROM benefits_institution WHERE code = 'H50010399901'")
        pharmacy = scalar(c, "SELECT id FROM benefits_institution WHERE code = 'P50010399901'")
        c.execute(
            """
            INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id,
                enrollment_id, district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date,
                discharge_date, year, total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid,
                aid_paid, account_paid, out_of_pocket, aid_recipient, policy_id, steps, request_fingerprint,
                settled_at, reversal_reason, created_at, updated_at)
            SELECT CASE WHEN t.kind = 'pharmacy' THEN %(pharmacy)s ELSE %(hospital)s END, 'R' || e.person_id,
                   'direct', CASE WHEN e.person_id %% 100 = 99 THEN 'reversed' ELSE 'settled' END, e.person_id,
                   e.id, e.district_id, e.scheme, t.kind, CASE WHEN t.kind = 'pharmacy' THEN 0 ELSE 2 END, 'J06.9',
                   DATE '2023-01-01' + (e.person_id %% 365)::int,
                   CASE WHEN t.kind = 'inpatient' THEN DATE '2023-01-01' + (e.person_id %% 360 + 3)::int END, %(year)s,
                   a.total, a.total, 0, a.pooled, 0, 0, a.account, a.total - a.pooled - a.account, false,
                   (SELECT b.id FROM benefits_benefitpolicy b WHERE b.year = %(year)s AND b.benefit_type = t.kind
                    ORDER BY b.scheme = e.scheme DESC, b.id LIMIT 1), '[]', '', now(), '', now(), now()
            FROM enrollment_enrollment e
            CROSS JOIN LATERAL (SELECT (ARRAY['outpatient', 'inpatient', 'pharmacy', 'chronic'])[
                1 + e.person_id %% 7 %% 4] AS kind) t
            CROSS JOIN LATERAL (SELECT CASE t.kind WHEN 'inpatient' THEN 3000 + e.person_id %% 20000
                WHEN 'pharmacy' THEN 20 + e.person_id %% 180 ELSE 50 + e.person_id %% 100 END::numeric AS total) b
            CROSS JOIN LATERAL (SELECT b.total,
                CASE t.kind WHEN 'inpatient' THEN ROUND(b.total * 0.6, 2) WHEN 'pharmacy' THEN 0
                     ELSE ROUND(b.total * 0.3, 2) END AS pooled,
                CASE WHEN t.kind = 'pharmacy' AND e.scheme = 'employee' THEN b.total ELSE 0 END AS account) a
            WHERE e.person_id > %(first)s
            """,
            {"first": first, "year": YEAR, "hospital": hospital, "pharmacy": pharmacy},
        )
        c.execute(
            """
            INSERT INTO benefits_annualaccumulator (person_id, year, deductible_outpatient, deductible_chronic,
                deductible_pharmacy, pooled_outpatient, pooled_chronic, pooled_inpatient, pooled_pharmacy,
                critical_base, critical_paid, aid_base, aid_paid, total_cost, out_of_pocket, settlement_count,
                updated_at)
            SELECT person_id, year, 0, 0, 0,
                   COALESCE(SUM(pooled_paid) FILTER (WHERE benefit_type = 'outpatient'), 0),
                   COALESCE(SUM(pooled_paid) FILTER (WHERE benefit_type = 'chronic'), 0),
                   COALESCE(SUM(pooled_paid) FILTER (WHERE benefit_type = 'inpatient'), 0),
                   COALESCE(SUM(pooled_paid) FILTER (WHERE benefit_type = 'pharmacy'), 0),
                   0, 0, 0, 0, SUM(total_cost), SUM(out_of_pocket), count(*), now()
            FROM benefits_settlement WHERE person_id > %s AND status = 'settled' GROUP BY person_id, year
            """,
            [first],
        )


def collect_and_credit() -> None:
    """The year's and next year's resident bills by the job itself, 9 in 10 of the year's paid, months 1-11
    credited: what the autumn's collection, the counters and the monthly beat leave by 31 December."""
    from django.db import connection

    from benefits.services import account_credits_post
    from core.commands import run_job_inline

    for year in (YEAR, YEAR + 1):
        run_job_inline(kind="annual_collection", params={"year": year}, actor=None)
    with connection.cursor() as c:
        c.execute(
            """
            UPDATE contributions_contributionbill SET status = 'paid', paid_amount = due_amount - subsidy_amount,
                paid_on = DATE '2022-12-20'
            WHERE coverage_year = %s AND status <> 'paid' AND person_id %% 10 <> 7
            """,
            [YEAR],
        )
        for year in (YEAR, YEAR + 1):
            c.execute(f"ALTER TABLE contributions_contributionbill_y{year} SET (autovacuum_enabled = false)")
    for month in range(1, 12):
        account_credits_post(actor=None, year=YEAR, month=month)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute(f"ANALYZE {', '.join(TABLES)}")
        for year in (YEAR, YEAR + 1):
            if scalar(c, "SELECT to_regclass(%s) IS NOT NULL", [f"contributions_contributionbill_y{year}"]):
                c.execute(f"ANALYZE contributions_contributionbill_y{year}")


def reset() -> None:
    """Empty tables, autovacuum off on them: the variant alone decides the statistics."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "TRUNCATE enrollment_person, core_journalentry, core_auditevent, core_jobrun, yearend_yearendsummary "
            "RESTART IDENTITY CASCADE"
        )
        for year in (YEAR, YEAR + 1):  # the collection builds them again
            c.execute(f"DROP TABLE IF EXISTS contributions_contributionbill_y{year}")
        c.execute("DELETE FROM django_celery_beat_periodictask WHERE name LIKE '个人账户划入%%'")
        c.execute("DELETE FROM contributions_contributionstandard WHERE year > %s AND source <> 'bench'", [YEAR])
        c.execute("DELETE FROM benefits_accountcreditrule WHERE year > %s", [YEAR])
        c.execute("DELETE FROM assistance_aidpolicy WHERE year > %s", [YEAR])
        for table in ("benefitpolicy", "criticalillnesspolicy", "claimaidratio", "remotecarerule"):
            c.execute(f"DELETE FROM benefits_{table} WHERE year > %s", [YEAR])
        for table in TABLES:
            c.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")


def rollover() -> tuple[dict, float]:
    from core.commands import run_job_inline

    start = time.perf_counter()
    counts = run_job_inline(kind="annual_rollover", params={"year": YEAR}, actor=None).counts
    return counts, time.perf_counter() - start


FLOOR_READS = (
    "SELECT count(*) FROM enrollment_enrollment",
    f"SELECT count(*) FROM contributions_contributionbill_y{YEAR}",
    f"SELECT count(*) FROM contributions_contributionbill_y{YEAR + 1}",
    "SELECT count(*) FROM benefits_settlement",
    "SELECT count(*) FROM benefits_annualaccumulator",
)


def floor() -> tuple[int, float]:
    """The same reads and the month's ledger lines into a bare table, committed: (rows, seconds)."""
    return raw_floor(period=YEAR * 100 + 12, reads=FLOOR_READS)


def check(n: int, counts: dict) -> None:
    """Graduates closed, every employee's account holding twelve credits, the summary's figures."""
    from django.db import connection

    from yearend.models import YearEndSummary

    graduates = len([i for i in range(1, n + 1) if i % 3 and i % 25 == 1])
    employees = n // 3
    with connection.cursor() as c:
        credited = scalar(
            c,
            "SELECT count(*) FROM (SELECT account_id FROM benefits_accountentry WHERE period BETWEEN %s AND %s "
            "GROUP BY account_id HAVING count(*) = 12) a",
            [YEAR * 100 + 1, YEAR * 100 + 12],
        )
        closed = scalar(c, "SELECT count(*) FROM enrollment_enrollment WHERE end_reason = 'graduated'")
    assert (closed, credited) == (graduates, employees), (closed, credited, graduates, employees)
    summary = YearEndSummary.objects.get(year=YEAR).data
    assert summary["people_with_settlements"] == n - n // 100 - (1 if n % 100 >= 99 else 0), summary
    assert summary["residents_unpaid_for_next_year"] == n - employees - graduates, summary
    assert summary["contributions"]["resident"]["bills"] == n - employees, summary


def variant(stats: str, n: int) -> dict:
    reset()
    if stats == "empty":
        analyze()
        build(0, n)
        collect_and_credit()
    elif stats == "one-percent":
        build(0, n // 100)
        collect_and_credit()
        analyze()
        build(n // 100, n - n // 100)
        collect_and_credit()
    else:
        build(0, n)
        collect_and_credit()
        analyze()
    counts, seconds = rollover()
    again, rerun = rollover()
    assert again["graduates_closed"] == 0 and again["account_credits_made_good"] == 0, again
    check(n, counts)
    analyze()  # the floor reads with right statistics: it is the physical limit, not a plan's luck
    rows, floor_seconds = floor()
    return {"stats": stats, "counts": counts, "seconds": seconds, "rerun": rerun, "rows": rows, "floor": floor_seconds}


def report(r: dict) -> None:
    floor_rate = r["rows"] / r["floor"]
    rate = r["rows"] / r["seconds"]
    line = "  {:<30} {:>10,} rows {:7.2f} s {:>10,.0f} rows/s {}"
    print(f"  counts: {r['counts']}")
    print(line.format("annual_rollover", r["rows"], r["seconds"], rate, f"{rate / floor_rate:.2f}x floor"))
    print(line.format("re-run (changes nothing)", r["rows"], r["rerun"], r["rows"] / r["rerun"], ""))
    print(line.format("floor: reads + bare-table credits", r["rows"], r["floor"], floor_rate, ""))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    stats_argument(parser)
    parser.add_argument("--db", default="bench_rollover", help="the throw-away database's name")
    args = parser.parse_args()
    n = args.persons
    with bench_database(args.db):
        prepare()
        results = stats_variants(args.stats, lambda stats: variant(stats, n), report, label=lambda r: f"{n:,} persons")
        if fresh := within_fresh(results):
            print(f"projected for {CITY:,} persons (fresh): {CITY / n * fresh['seconds'] / 60:.1f} min")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
