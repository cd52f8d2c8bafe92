"""个人账户划入 at city scale, under three kinds of statistics, against a bare-table floor measured in the same run.

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_account_credits.py --employees 200000 \
        --stats all --db bench_h14b

Builds N employee enrollments (3 active : 1 retired) with set-based SQL in a throw-away database, then times
`account_credits_post` (open missing accounts, compute 2% of base or the fixed amount, move balances and write
one ledger line each, in id-range chunks, idempotent, the fund books posted per chunk) for month 1, month 2 and
a re-run of month 2 that must credit nothing. Each statistics variant starts from empty tables:

* fresh: the tables are ANALYZEd after the build and again before each month (the statistics are right);
* empty: every table is ANALYZEd while still empty (a new database after a routine `vacuumdb --analyze`), then
  filled; nothing analyses them again during the run;
* one-percent: the tables are ANALYZEd when 1% full (1% of the employees built and credited for both months),
  then the other 99% are built and credited.

Autovacuum is switched off on the tables the run touches, so the statistics stay what the variant made them
(with it on, a timely autoanalyze would hide a plan that depends on luck). The floor is the physical limit of
the same work: the same ledger lines INSERT..SELECTed into a bare table (no index, no key, no constraint),
committed. Issue 14 point 4: every variant within 1.5x of the fresh one.
"""

import argparse
import time

from _db import bench_database, peak_rss_mb, stats_argument, stats_variants, within_fresh

TARGET_RATIO = 0.5
CITY = 18_000_000
TABLES = (
    "enrollment_person",
    "enrollment_enrollment",
    "benefits_personalaccount",
    "benefits_accountentry",
    "core_journalentry",
    "core_journalline",
)


def build(first: int, count: int) -> None:
    """Persons first+1 .. first+count and their employee enrollments (ids follow the generated numbers)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT id FROM core_district WHERE code = '500103'")
        district = c.fetchone()[0]
        c.execute(
            """
            INSERT INTO enrollment_person
                (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
            SELECT '500103' || lpad(g::text, 12, '0'), '职工' || g, 'M', DATE '1970-01-01', '', %s, now(), now()
            FROM generate_series(%s, %s) g
            """,
            [district, first + 1, first + count],
        )
        c.execute(
            """
            INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
                start_date, status, end_reason, created_at, updated_at)
            SELECT p.id, 'employee', CASE WHEN p.id %% 4 = 0 THEN 'retired' ELSE 'active' END, NULL, p.district_id,
                   4000 + (p.id %% 16000), DATE '2023-01-01', 'active', '', now(), now()
            FROM enrollment_person p WHERE p.id > %s
            """,
            [first],
        )


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute(f"ANALYZE {', '.join(TABLES)}")


def reset() -> None:
    """Empty tables, autovacuum off on them: the variant alone decides the statistics."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("TRUNCATE enrollment_person, core_journalentry, core_auditevent RESTART IDENTITY CASCADE")
        for table in TABLES:
            c.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")


FLOOR_SQL = """
INSERT INTO floor_accountentry (account_id, kind, purpose, amount, balance_after, period, note, created_at)
SELECT a.id, 'credit', CASE WHEN e.category = 'retired' THEN 'credit_fixed' ELSE 'credit_contribution' END,
       ROUND(COALESCE(e.contribution_base, 0) * r.rate + r.fixed_amount, 2), a.balance, %(period)s, '', now()
FROM enrollment_enrollment e
JOIN benefits_accountcreditrule r ON r.year = %(year)s AND r.category = e.category
JOIN benefits_personalaccount a ON a.person_id = e.person_id
WHERE e.status = 'active' AND e.scheme = 'employee'
"""


def raw_floor(*, period: int = 202302, reads: tuple[str, ...] = ()) -> tuple[int, float]:
    """The month's ledger lines into a bare table (columns and its id sequence only), committed, after the
    `reads` (counts, their rows added): (rows, seconds)."""
    from django.db import connection, transaction

    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS floor_accountentry")
        c.execute("CREATE TABLE floor_accountentry (LIKE benefits_accountentry INCLUDING IDENTITY)")
    rows = 0
    start = time.perf_counter()
    with connection.cursor() as c:
        for sql in reads:
            c.execute(sql)
            rows += c.fetchone()[0]
    with transaction.atomic(), connection.cursor() as c:
        c.execute(FLOOR_SQL, {"period": period, "year": period // 100})
        rows += c.rowcount
    seconds = time.perf_counter() - start
    with connection.cursor() as c:
        c.execute("DROP TABLE floor_accountentry")
    return rows, seconds


def timed(month: int) -> tuple[int, float]:
    from benefits.services import account_credits_post

    start = time.perf_counter()
    credited = account_credits_post(actor=None, year=2023, month=month)["credited"]
    return credited, time.perf_counter() - start


def check_books(n: int) -> None:
    """Balances, ledger and fund books agree: every account holds its two credits, the books their sum."""
    from django.db import connection

    from core.ledger import books_reconcile

    with connection.cursor() as c:
        c.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE a.balance <> s.total)
            FROM benefits_personalaccount a
            JOIN (SELECT account_id, SUM(amount) AS total, count(*) AS lines FROM benefits_accountentry
                  GROUP BY account_id) s ON s.account_id = a.id
            WHERE s.lines = 2
            """
        )
        accounts, wrong = c.fetchone()
    assert accounts == n and wrong == 0, (accounts, wrong)
    assert not [d for d in books_reconcile(year=2023) if d.source == "account_credit"]


def variant(stats: str, n: int) -> dict:
    reset()
    if stats == "empty":
        analyze()
        build(0, n)
    elif stats == "one-percent":
        build(0, n // 100)
        timed(1)
        timed(2)
        analyze()
        build(n // 100, n - n // 100)
    else:
        build(0, n)
        analyze()
    rows1, month1 = timed(1)
    if stats == "fresh":
        analyze()
    rows2, month2 = timed(2)
    if stats == "fresh":
        analyze()
    rows3, rerun = timed(2)
    assert rows3 == 0, rows3
    expected = n - n // 100 if stats == "one-percent" else n
    assert rows1 == expected and rows2 == expected, (rows1, rows2, expected)
    check_books(n)
    analyze()  # the floor reads with right statistics: it is the physical limit, not a plan's luck
    floor_rows, floor = raw_floor()
    assert floor_rows == n, floor_rows
    return {
        "stats": stats,
        "rows": rows1,
        "month1": month1,
        "month2": month2,
        "rerun": rerun,
        "floor_rows": floor_rows,
        "floor": floor,
    }


def report(r: dict) -> None:
    floor_rate = r["floor_rows"] / r["floor"]
    line = "  {:<26} {:>9,} rows {:7.2f} s {:>9,.0f} rows/s {}"
    for label, key in (("month 1 (opens accounts)", "month1"), ("month 2", "month2")):
        rate = r["rows"] / r[key]
        print(line.format(label, r["rows"], r[key], rate, f"{rate / floor_rate:.2f}x floor"))
    print(line.format("re-run of month 2", 0, r["rerun"], 0, ""))
    print(line.format("floor: bare table, commit", r["floor_rows"], r["floor"], floor_rate, ""))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=1_000_000)
    stats_argument(parser)
    parser.add_argument("--db", default="bench_h14b", help="the throw-away database's name")
    args = parser.parse_args()
    n = args.employees
    with bench_database(args.db):
        results = stats_variants(
            args.stats, lambda stats: variant(stats, n), report, label=lambda r: f"{n:,} employees"
        )
        if fresh := within_fresh(results, keys=("month1", "month2")):
            rate = fresh["rows"] / fresh["month2"]
            print(f"projected for {CITY:,} employees (fresh, month 2 rate): {CITY / rate / 60:.1f} min per month")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
