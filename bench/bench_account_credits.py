"""个人账户划入 at city scale: one month's credits for N employees, against a raw INSERT..SELECT.

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_account_credits.py --employees 1000000

Builds N employee enrollments (3 active : 1 retired) in a throw-away database with set-based SQL, then
times `account_credits_post` (open missing accounts, compute 2% of base or the fixed amount, move balances
and write one ledger line each, in id-range chunks, idempotent) for one month, then a re-run (must credit
nothing), against the floor: a bare INSERT..SELECT of the same ledger lines with no balance update and no
idempotency check. Target: the monthly batch at >= 0.5x of that floor, and 18M employees well within a
night (the issue names no figure for this batch; annual_collection's goal is borrowed).
"""

import argparse
import time

from _db import bench_database, peak_rss_mb

TARGET_RATIO = 0.5
CITY = 18_000_000


def build(n: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT id FROM core_district WHERE code = '500103'")
        district = c.fetchone()[0]
        c.execute(
            """
            INSERT INTO enrollment_person
                (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
            SELECT '500103' || lpad(g::text, 12, '0'), '职工' || g, 'M', DATE '1970-01-01', '', %s, now(), now()
            FROM generate_series(1, %s) g
            """,
            [district, n],
        )
        c.execute(
            """
            INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
                start_date, status, end_reason, created_at, updated_at)
            SELECT p.id, 'employee', CASE WHEN p.id % 4 = 0 THEN 'retired' ELSE 'active' END, NULL, p.district_id,
                   4000 + (p.id % 16000), DATE '2023-01-01', 'active', '', now(), now()
            FROM enrollment_person p
            """
        )
        c.execute("ANALYZE")


def raw_floor(n: int) -> float:
    """The same ledger lines with nothing else: no balances, no idempotency, one statement."""
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        c.execute(
            """
            INSERT INTO benefits_accountentry
                (account_id, kind, purpose, amount, balance_after, period, note, created_at)
            SELECT a.id, 'credit', '', ROUND(COALESCE(e.contribution_base, 0) * r.rate + r.fixed_amount, 2),
                   0, 209901, '', now()
            FROM enrollment_enrollment e
            JOIN benefits_accountcreditrule r ON r.year = 2023 AND r.category = e.category
            JOIN benefits_personalaccount a ON a.person_id = e.person_id
            WHERE e.status = 'active' AND e.scheme = 'employee'
            """
        )
        rows = c.rowcount
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    assert rows == n, rows
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=1_000_000)
    n = parser.parse_args().employees
    with bench_database("yibao_bench_accounts"):
        from django.db import connection

        from benefits.models import AccountEntry, PersonalAccount
        from benefits.services import account_credits_post

        t = time.perf_counter()
        build(n)
        print(f"built {n:,} employee enrollments in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        first = account_credits_post(actor=None, year=2023, month=1)
        cold = time.perf_counter() - t  # includes opening every account
        t = time.perf_counter()
        second = account_credits_post(actor=None, year=2023, month=2)
        warm = time.perf_counter() - t
        t = time.perf_counter()
        again = account_credits_post(actor=None, year=2023, month=2)
        rerun = time.perf_counter() - t
        with connection.cursor() as c:
            c.execute("ANALYZE")
        floor = raw_floor(n)

        assert first["credited"] == n and second["credited"] == n and again["credited"] == 0
        assert AccountEntry.objects.count() == 2 * n and PersonalAccount.objects.count() == n
        rate, floor_rate = n / warm, n / floor
        print(f"month 1 (opens {n:,} accounts too): {cold:.1f} s = {n / cold:,.0f} rows/s")
        print(f"month 2 (accounts exist):           {warm:.1f} s = {rate:,.0f} rows/s")
        print(f"re-run of month 2 (credits 0):      {rerun:.1f} s")
        print(f"raw INSERT..SELECT floor:           {floor:.1f} s = {floor_rate:,.0f} rows/s")
        print(f"ratio to the floor: {rate / floor_rate:.2f}x (target >= {TARGET_RATIO}x)")
        print(f"projected for {CITY:,} employees: {CITY / rate / 60:.1f} min per month")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
