"""年度缴费征收 at city scale, under three kinds of statistics, against a bare-table floor measured in the same run.

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_annual_collection.py --enrollees 200000 \
        --stats all --db bench_h14b

Builds N active resident enrollments (2% of the people aid recipients) plus N/10 employees the job must leave
alone, with set-based SQL in a throw-away database, then times the `annual_collection` job itself (a recorded
JobRun: the year's standard; on PostgreSQL the year's bill partition built as a fresh table, loaded in one
INSERT..SELECT with the aid subsidy, indexed, its keys added NOT VALID and validated, attached; the fund books
posted; the 12 account-credit schedules) and a re-run that must create nothing (the attached year, in id-range
chunks). Each statistics variant starts from empty tables and no partition for the year:

* fresh: the tables are ANALYZEd after the build (the statistics are right);
* empty: every table is ANALYZEd while still empty (a new database after a routine `vacuumdb --analyze`), then
  filled; nothing analyses them again during the run;
* one-percent: the tables are ANALYZEd when 1% full (1% of the people built), then the other 99% are built.

Autovacuum is off on the tables the run touches, so the statistics stay what the variant made them. The floor
is the physical limit of the same work: the job's own SELECT (standard, subsidy and all) over every
enrollment, INSERTed into a bare table (the bill's columns and id default, no index, no key, no constraint),
committed. Issue 14: collection >= 0.2x of that floor; every variant within 1.5x of the fresh one.

`--fk-detail` also loads the same rows into a bare table that carries the bill table's three foreign keys as
Django declares them (DEFERRABLE INITIALLY DEFERRED), timing the statement and the COMMIT (where the row-by-row
key checks run) apart, and then the same keys added NOT VALID and VALIDATEd (one set-based check each).
"""

import argparse
import logging
import sys
import time

from _db import STATS, bench_database, peak_rss_mb, stats_argument, stats_variants, within_fresh

TARGET_RATIO = 0.2  # issue 14 point 2
CITY = 18_000_000
YEAR = 2023
TABLES = (
    "enrollment_person",
    "enrollment_enrollment",
    "assistance_aidrecipient",
    "contributions_contributionbill",
    "core_journalentry",
    "core_journalline",
)
KEYS = (
    ("person_id", "enrollment_person"),
    ("enrollment_id", "enrollment_enrollment"),
    ("district_id", "core_district"),
)


def build(first: int, count: int) -> None:
    """Persons first+1 .. first+count (one in eleven an employee), their enrollments and aid records."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT id FROM core_district WHERE code = '500103'")
        district = c.fetchone()[0]
        c.execute(
            """
            INSERT INTO enrollment_person
                (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
            SELECT '500103' || lpad(g::text, 12, '0'), '居民' || g, 'F', DATE '1980-01-01', '', %s, now(), now()
            FROM generate_series(%s, %s) g
            """,
            [district, first + 1, first + count],
        )
        c.execute(
            """
            INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
                start_date, status, end_reason, created_at, updated_at)
            SELECT p.id,
                   CASE WHEN p.id %% 11 = 0 THEN 'employee' ELSE 'resident' END,
                   CASE WHEN p.id %% 11 = 0 THEN 'active' ELSE 'adult' END,
                   CASE WHEN p.id %% 11 = 0 THEN NULL ELSE 1 + p.id %% 2 END,
                   p.district_id,
                   CASE WHEN p.id %% 11 = 0 THEN 6000 ELSE NULL END,
                   DATE '2022-01-01', 'active', '', now(), now()
            FROM enrollment_person p WHERE p.id > %s
            """,
            [first],
        )
        c.execute(
            """
            INSERT INTO assistance_aidrecipient
                (person_id, category, valid_from, source, district_id, created_at, updated_at)
            SELECT p.id, CASE WHEN p.id %% 3 = 0 THEN 'destitute' ELSE 'subsistence' END, DATE '2022-01-01',
                   'civil_affairs', p.district_id, now(), now()
            FROM enrollment_person p WHERE p.id > %s AND p.id %% 50 = 1
            """,
            [first],
        )


def residents() -> int:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM enrollment_enrollment WHERE scheme = 'resident'")
        return c.fetchone()[0]


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute(f"ANALYZE {', '.join(TABLES)}")


def reset() -> None:
    """Empty tables, autovacuum off on them: the variant alone decides the statistics."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "TRUNCATE enrollment_person, core_journalentry, core_auditevent, core_jobrun RESTART IDENTITY CASCADE"
        )
        c.execute(f"DROP TABLE IF EXISTS contributions_contributionbill_y{YEAR}")  # the next run builds it again
        for table in TABLES:
            # (a partitioned table has no storage settings; its partitions do, and the build analyses its own)
            c.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
            if c.fetchone()[0] != "p":
                c.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")


def collect() -> tuple[int, float]:
    from core.commands import run_job_inline

    start = time.perf_counter()
    counts = run_job_inline(kind="annual_collection", params={"year": YEAR}, actor=None).counts
    return counts["bills_created"], time.perf_counter() - start


def floor_sql() -> tuple[str, dict]:
    """The job's own statement for the whole year (standard, subsidy and all), into the bare table."""
    from django.utils import timezone

    from contributions.collection import WAITING_SQL, issue_statement

    sql, params = issue_statement(year=YEAR, now=timezone.now(), table="floor_bill", scheme="resident")
    # (the product's look at bills waiting in the default partition is its own cost, not the floor's)
    assert WAITING_SQL in sql, "the job's statement changed shape"
    return sql.replace(WAITING_SQL, ""), params


def load_bare(*, keys: bool = False) -> tuple[int, float, float]:
    """The same bills into a fresh bare table, committed: (rows, statement seconds, commit seconds).

    With `keys` the table carries the bill table's foreign keys, deferred to COMMIT as Django declares them."""
    from django.db import connection, transaction

    from core.plans import no_nested_loops

    sql, params = floor_sql()
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS floor_bill")
        c.execute("CREATE TABLE floor_bill (LIKE contributions_contributionbill INCLUDING DEFAULTS)")
        for column, target in KEYS if keys else ():
            c.execute(
                f"ALTER TABLE floor_bill ADD FOREIGN KEY ({column}) REFERENCES {target} (id)"
                " DEFERRABLE INITIALLY DEFERRED"
            )
    start = time.perf_counter()
    with transaction.atomic():
        # the job's own plan (hash joins): the floor is the same statement, not a worse plan of it
        with no_nested_loops(), connection.cursor() as c:
            c.execute(sql, params)
            rows = c.rowcount
        statement = time.perf_counter() - start
    return rows, statement, time.perf_counter() - start - statement


def validate_set_based() -> float:
    """The floor table's foreign keys added NOT VALID, then VALIDATEd: one set-based check per key."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as c:
        for i, (column, target) in enumerate(KEYS):
            c.execute(
                f"ALTER TABLE floor_bill ADD CONSTRAINT floor_fk{i}"
                f" FOREIGN KEY ({column}) REFERENCES {target} (id) NOT VALID"
            )
            c.execute(f"ALTER TABLE floor_bill VALIDATE CONSTRAINT floor_fk{i}")
    return time.perf_counter() - start


def check_bills(n: int) -> int:
    """Every resident billed once, employees left alone, the books agree: the number subsidised."""
    from contributions.models import ContributionBill
    from core.ledger import books_reconcile

    assert ContributionBill.objects.filter(coverage_year=YEAR).count() == n
    assert not ContributionBill.objects.exclude(scheme="resident").exists()
    assert not [d for d in books_reconcile(year=YEAR) if d.source in ("bill", "fiscal_subsidy")]
    return ContributionBill.objects.filter(subsidy_amount__gt=0).count()


def variant(stats: str, total: int, fk_detail: bool) -> dict:
    reset()
    if stats == "empty":
        analyze()
        build(0, total)
    elif stats == "one-percent":
        build(0, total // 100)
        analyze()
        build(total // 100, total - total // 100)
    else:
        build(0, total)
        analyze()
    n = residents()
    created, seconds = collect()
    again, rerun = collect()
    assert created == n and again == 0, (created, n, again)
    subsidised = check_bills(n)
    analyze()  # the floor reads with right statistics: it is the physical limit, not a plan's luck
    floor_rows, floor, floor_commit = load_bare()
    assert floor_rows == n, (floor_rows, n)
    result = {
        "stats": stats,
        "residents": n,
        "rows": created,
        "seconds": seconds,
        "rerun": rerun,
        "subsidised": subsidised,
        "floor": floor + floor_commit,
    }
    if fk_detail:
        _, statement, commit = load_bare(keys=True)
        result["fk"] = (statement, commit)
        load_bare()
        result["validate"] = validate_set_based()
    return result


def report(r: dict) -> None:
    floor_rate = r["residents"] / r["floor"]
    rate = r["rows"] / r["seconds"]
    line = "  {:<36} {:>9,} rows {:7.2f} s {:>9,.0f} rows/s {}"
    ratio = f"{rate / floor_rate:.2f}x floor (target >= {TARGET_RATIO}x)"
    print(line.format("annual_collection", r["rows"], r["seconds"], rate, ratio))
    print(line.format("re-run (creates 0)", 0, r["rerun"], 0, ""))
    print(line.format("floor: bare table, committed", r["residents"], r["floor"], floor_rate, ""))
    print(f"  ({r['subsidised']:,} bills with an aid subsidy)")
    if "fk" in r:
        statement, commit = r["fk"]
        share = commit / (statement + commit)
        print(
            f"  same rows into a bare table with the 3 deferred foreign keys: statement {statement:.2f} s,"
            f" COMMIT (row-by-row key checks) {commit:.2f} s = {share:.0%} of {statement + commit:.2f} s"
        )
        print(f"  the same 3 keys added NOT VALID + VALIDATE on the loaded bare table: {r['validate']:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enrollees", type=int, default=1_000_000, help="people built (one in eleven employees)")
    stats_argument(parser)
    parser.add_argument("--db", default="bench_h14b", help="the throw-away database's name")
    parser.add_argument("--fk-detail", action="store_true", help="time the foreign-key checks apart (first variant)")
    args = parser.parse_args()
    total = args.enrollees
    # the build's stage times (core.partitions logs them)
    stages = logging.getLogger("core.partitions")
    stages.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  stage %(message)s"))
    stages.addHandler(handler)
    stages.propagate = False
    first = STATS[0] if args.stats == "all" else args.stats

    def run(stats: str) -> dict:
        return variant(stats, total, fk_detail=args.fk_detail and stats == first)  # (the first variant only)

    with bench_database(args.db):
        results = stats_variants(
            args.stats, run, report, label=lambda r: f"{total:,} people, {r['residents']:,} residents"
        )
        if fresh := within_fresh(results):
            rate = fresh["rows"] / fresh["seconds"]
            print(f"projected for {CITY:,} enrollees (fresh rate): {CITY / rate / 60:.1f} min")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
