"""年度缴费征收 at city scale: one coverage year's bills for N enrollments, against a raw INSERT..SELECT.

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_annual_collection.py --enrollees 1000000

Builds N active resident enrollments (2% of the people aid recipients) plus N/10 employees the job must
leave alone, with set-based SQL in a throw-away database, then times the `annual_collection` job itself
(a recorded JobRun: the year's standard, the aid subsidy, id-range chunks committed one by one with a
checkpoint each, the 12 account-credit schedules) and a re-run (must create nothing), against the floor:
one bare INSERT..SELECT of the same bills (standard joined, no subsidy, no chunks, no conflict check).
Issue #6: >= 0.5x of the floor (165k rows/s measured here when the issue was written), and 18M
enrollees in < 3 min.
"""

import argparse
import time

from _db import bench_database, peak_rss_mb

TARGET_RATIO = 0.5
CITY = 18_000_000


def build(n: int) -> int:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT id FROM core_district WHERE code = '500103'")
        district = c.fetchone()[0]
        c.execute(
            """
            INSERT INTO enrollment_person
                (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
            SELECT '500103' || lpad(g::text, 12, '0'), '居民' || g, 'F', DATE '1980-01-01', '', %s, now(), now()
            FROM generate_series(1, %s) g
            """,
            [district, n + n // 10],
        )
        c.execute(
            """
            INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
                start_date, status, end_reason, created_at, updated_at)
            SELECT p.id,
                   CASE WHEN p.id % 11 = 0 THEN 'employee' ELSE 'resident' END,
                   CASE WHEN p.id % 11 = 0 THEN 'active' ELSE 'adult' END,
                   CASE WHEN p.id % 11 = 0 THEN NULL ELSE 1 + p.id % 2 END,
                   p.district_id,
                   CASE WHEN p.id % 11 = 0 THEN 6000 ELSE NULL END,
                   DATE '2022-01-01', 'active', '', now(), now()
            FROM enrollment_person p
            """
        )
        c.execute("SELECT count(*) FROM enrollment_enrollment WHERE scheme = 'resident'")
        residents = c.fetchone()[0]
        c.execute(
            """
            INSERT INTO assistance_aidrecipient
                (person_id, category, valid_from, source, district_id, created_at, updated_at)
            SELECT p.id, CASE WHEN p.id % 3 = 0 THEN 'destitute' ELSE 'subsistence' END, DATE '2022-01-01',
                   'civil_affairs', p.district_id, now(), now()
            FROM enrollment_person p WHERE p.id % 50 = 1
            """
        )
        c.execute("ANALYZE")
    return residents


FLOOR_SQL = """
INSERT INTO contributions_contributionbill
    (person_id, enrollment_id, district_id, coverage_year, scheme, due_amount, subsidy_amount,
     paid_amount, status, employer_due, fiscal_subsidy, created_at, updated_at)
SELECT e.person_id, e.id, e.district_id, 2099, e.scheme, s.individual_amount, 0, 0, 'unpaid', 0, s.fiscal_subsidy,
       now(), now()
FROM enrollment_enrollment e
JOIN contributions_contributionstandard s
  ON s.year = 2023 AND s.scheme = e.scheme AND s.category = e.category
 AND s.tier IS NOT DISTINCT FROM e.tier
WHERE e.status = 'active' AND e.scheme = 'resident'
"""


def raw_floor(n: int) -> tuple[float, float]:
    """(committed, rolled back) seconds of the bare INSERT..SELECT.

    The committed one is the floor: the bill table's foreign keys are checked at COMMIT (deferred), as
    they are for the job's chunks, so a rolled-back insert skips work every real insert pays."""
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        c.execute(FLOOR_SQL)
        rows = c.rowcount
        statement = time.perf_counter() - start
        transaction.set_rollback(True)
    assert rows == n, rows
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        c.execute(FLOOR_SQL)
    committed = time.perf_counter() - start
    with connection.cursor() as c:
        c.execute("DELETE FROM contributions_contributionbill WHERE coverage_year = 2099")
    return committed, statement


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enrollees", type=int, default=1_000_000)
    n = parser.parse_args().enrollees
    with bench_database("yibao_bench_collection"):
        from django.db import connection

        from contributions.models import ContributionBill
        from core.commands import run_job_inline

        t = time.perf_counter()
        n = build(n)
        print(f"built {n:,} resident enrollments (+ employees) in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        first = run_job_inline(kind="annual_collection", params={"year": 2023}, actor=None).counts
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        again = run_job_inline(kind="annual_collection", params={"year": 2023}, actor=None).counts
        rerun = time.perf_counter() - t
        with connection.cursor() as c:
            c.execute("ANALYZE")
        floor, statement = raw_floor(n)
        assert first["bills_created"] == n and again["bills_created"] == 0, (first, again)
        subsidised = ContributionBill.objects.filter(subsidy_amount__gt=0).count()
        rate, floor_rate = n / seconds, n / floor
        print(f"annual_collection 2023: {seconds:.1f} s = {rate:,.0f} rows/s ({subsidised:,} with an aid subsidy)")
        print(f"re-run (creates 0): {rerun:.1f} s")
        print(f"raw INSERT..SELECT floor, committed: {floor:.1f} s = {floor_rate:,.0f} rows/s")
        alone = f"{statement:.1f} s = {n / statement:,.0f} rows/s, ratio {statement / seconds:.2f}x"
        print(f"  (the statement alone, rolled back before its FK checks: {alone})")
        print(f"ratio to the floor: {rate / floor_rate:.2f}x (target >= {TARGET_RATIO}x)")
        print(f"projected for {CITY:,} enrollees: {CITY / rate / 60:.1f} min (target < 3 min)")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
