"""Enrollee-list import, end to end, at city scale, against its schema floor measured in the same run.

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_import.py [--rows 1000000]
        [--stats fresh|empty|one-percent|all] [--database yibao_bench_import] [--floor-database NAME]

Generates a synthetic list (not timed, in a child process so its memory is not counted), then times
upload + validation (the dry run) + confirmation + apply, exactly as a staff upload runs them, on a
fresh database. Then imports the same file again, which must create nothing. Prints rows/s, the ratio
to the target (50k validated rows/s end to end) and peak RSS (target < 300 MB).

The floor (issue 14): the same checked rows COPYed into a staging table, then INSERT..SELECT into the
same indexed, foreign-keyed person and enrollment tables, committed; run on a copy of the freshly
migrated database (CREATE DATABASE .. TEMPLATE), so it meets the same schema with nothing in it.
The apply's ratio to it is floor seconds / apply seconds (target >= 0.9).

--stats (issue 14 point 4, "plans that do not depend on luck"): the person and enrollment tables as a
new city's database leaves them before the import: `fresh` never analyzed; `empty` analyzed while
empty (what a routine `vacuumdb --analyze` of a new database does); `one-percent` analyzed holding 1%
of the file's size (people who are not in the file). `all` runs the three, each in a fresh database,
and prints each one's times against fresh (target: within 1.5x).
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from _db import ROOT, STATS, WITHIN, bench_database, peak_rss_mb

TARGET_ROWS_PER_S = 50_000
TARGET_RSS_MB = 300
TARGET_APPLY_RATIO = 0.9


def _floor(dsn: str, rows: Path) -> float:
    """COPY the checked rows (a file of COPY text) into an unlogged staging table, INSERT..SELECT persons
    and enrollments, commit: the same rows into the same tables with nothing else, on a database nobody
    else uses."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE UNLOGGED TABLE floor_rows AS SELECT batch_id, row_number, id_number, name, gender, birth_date,"
            " district_id, scheme, category, tier, phone, employer_code, contribution_base, rejected"
            " FROM enrollment_importstagingrow WITH NO DATA"
        )
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            with (
                cursor.copy(
                    "COPY floor_rows (batch_id, row_number, id_number, name, gender, birth_date, district_id, scheme,"
                    " category, tier, phone, employer_code, contribution_base, rejected) FROM STDIN"
                ) as copy,
                open(rows, "rb") as fh,
            ):
                while data := fh.read(1 << 20):
                    copy.write(data)
            cursor.execute(
                "INSERT INTO enrollment_person"
                " (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)"
                " SELECT id_number, name, gender, birth_date, phone, district_id, now(), now() FROM floor_rows"
            )
            cursor.execute(
                "INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, employer_id,"
                " contribution_base, start_date, status, end_reason, created_at, updated_at)"
                " SELECT p.id, f.scheme, f.category, f.tier, f.district_id, em.id, f.contribution_base,"
                " DATE '2023-01-01', 'active', '', now(), now()"
                " FROM floor_rows f JOIN enrollment_person p ON p.id_number = f.id_number"
                " LEFT JOIN enrollment_employer em ON em.credit_code = f.employer_code AND f.employer_code <> ''"
            )
        conn.commit()
        return time.perf_counter() - started


def _timed(execute, cursor, sql, params):
    """--trace: print each statement of the product that takes over 0.1 s."""
    started = time.perf_counter()
    try:
        return execute(cursor, sql, params)
    finally:
        seconds = time.perf_counter() - started
        if seconds > 0.1:
            print(f"    {seconds:7.2f} s  {' '.join(str(sql).split())[:110]}", flush=True)


def _dsn(database: str) -> str:
    """DATABASE_URL (which bench_database pointed at the bench database) with another database name."""
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


def _checked_rows_file(path: Path) -> Path:
    """The floor's rows, as COPY text in a file, written by a child process: like the generated list,
    they are not the product's memory, and the peak RSS printed is the import's."""
    import multiprocessing

    from django.db import connections

    out = path.with_suffix(".floor-copy")
    connections.close_all()  # the child opens its own
    child = multiprocessing.get_context("fork").Process(target=_write_checked_rows, args=(path, out))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"writing the floor's rows failed (exit code {child.exitcode})")
    return out


def _write_checked_rows(path: Path, out: Path) -> None:
    from enrollment.importing.parallel import copy_line

    with open(out, "w", encoding="utf-8") as fh:
        fh.writelines(map(copy_line, _checked_rows(path)))


def _checked_rows(path: Path) -> list[tuple]:
    """The rows the import would stage, first of each ID number only (untimed)."""
    import datetime as dt

    from django.utils import timezone

    from core.importing.reader import header_index, iter_rows
    from core.models import District
    from enrollment.importing.columns import HEADERS, REQUIRED_HEADERS
    from enrollment.importing.rows import EnrolleeRowChecker

    rows = iter_rows(path, path.name)
    positions = header_index(next(rows), HEADERS, REQUIRED_HEADERS)
    checker = EnrolleeRowChecker(
        batch_id=0,
        district_ids=dict(District.objects.values_list("code", "id")),
        allowed_district_ids=None,
        positions=positions,
        today=timezone.localdate() or dt.date.today(),
    )
    seen: set[str] = set()
    out = []
    for row_number, cells in enumerate(rows, start=2):
        good = checker.check(row_number, cells)
        if good is not None and good[2] not in seen:
            seen.add(good[2])
            out.append(good)
        checker.errors.clear()
    return out


def _prepare_stats(variant: str, rows: int) -> int:
    """Leave the person and enrollment tables' statistics as `variant` says; how many people it added."""
    from django.db import connection

    if variant == "fresh":
        return 0
    added = 0
    with connection.cursor() as cursor:
        if variant == "one-percent":
            added = max(rows // 100, 1)
            # ID numbers starting 99 belong to no district of the file: nobody the import meets.
            cursor.execute(
                "INSERT INTO enrollment_person (id_number, name, gender, birth_date, phone, district_id,"
                " created_at, updated_at)"
                " SELECT '99' || lpad(i::text, 16, '0'), '旧' || i, 'F', DATE '1980-01-01', '',"
                " (SELECT id FROM core_district WHERE code = '500103'), now(), now()"
                " FROM generate_series(1, %s) i",
                [added],
            )
            cursor.execute(
                "INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id,"
                " contribution_base, start_date, status, end_reason, created_at, updated_at)"
                " SELECT id, 'resident', 'adult', 1, district_id, NULL, DATE '2022-01-01', 'active', '', now(), now()"
                " FROM enrollment_person"
            )
        cursor.execute("ANALYZE enrollment_person, enrollment_enrollment")
    return added


def run_variant(args: argparse.Namespace, path: Path) -> dict:
    with bench_database(args.database):
        import datetime as dt

        import psycopg
        from django.core.files import File
        from django.db import connection, connections

        sys.path.insert(0, str(ROOT / "bench"))
        from synth_city import make_employer_codes

        from core.models import District, ImportBatch
        from enrollment.importing.pipeline import import_batch_confirm, import_batch_create
        from enrollment.models import Employer, Enrollment, Person

        district = District.objects.get(code="500103")
        Employer.objects.bulk_create(
            [
                Employer(credit_code=c, name=f"单位{i}", district=district)
                for i, c in enumerate(make_employer_codes(500, 1))
            ]
        )
        floor_rows = _checked_rows_file(path)
        connections.close_all()
        with psycopg.connect(_dsn("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.floor_database}"')
            admin.execute(f'CREATE DATABASE "{args.floor_database}" TEMPLATE "{args.database}"')
        added = _prepare_stats(args.stats, args.rows)
        if args.trace:
            from django.db.backends import utils

            plain = utils.CursorWrapper.execute
            utils.CursorWrapper.execute = lambda self, sql, params=None: _timed(plain, self, sql, params)

        def run_once() -> tuple[ImportBatch, float, float]:
            started = time.perf_counter()
            with open(path, "rb") as fh:
                batch = import_batch_create(
                    actor=None, fileobj=File(fh), original_name=path.name, district_id=None,
                    mode=ImportBatch.Mode.SKIP_INVALID, effective_date=dt.date(2023, 1, 1),
                )  # fmt: skip
            validated = time.perf_counter()
            batch.refresh_from_db()
            import_batch_confirm(actor=None, batch=batch)
            done = time.perf_counter()
            batch.refresh_from_db()
            return batch, validated - started, done - validated

        with connection.cursor() as cursor:
            settings_shown = []
            for name in ("shared_buffers", "max_wal_size", "checkpoint_timeout", "wal_compression"):
                cursor.execute(f"SHOW {name}")
                settings_shown.append(f"{name}={cursor.fetchone()[0]}")
        print("server                ", " ".join(settings_shown))
        print(f"statistics            {args.stats} (people added before the import: {added:,})")

        batch, t_validate, t_apply = run_once()
        connections.close_all()
        try:
            t_floor = _floor(_dsn(args.floor_database), floor_rows)
        finally:
            floor_rows.unlink(missing_ok=True)
            with psycopg.connect(_dsn("postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.floor_database}"')
        total = batch.total_rows
        e2e = t_validate + t_apply
        print(f"rows in file          {total:>12,}")
        print(f"valid / refused       {batch.valid_rows:>12,} / {batch.error_rows:,}")
        print(f"created persons       {batch.counts['created_persons']:>12,}")
        print(f"created enrollments   {batch.counts['created_enrollments']:>12,}")
        print(f"validate (dry run)    {t_validate:>10.2f} s  {total / t_validate:>10,.0f} rows/s")
        print(f"apply                 {t_apply:>10.2f} s  {total / t_apply:>10,.0f} rows/s")
        print(f"schema floor          {t_floor:>10.2f} s  {total / t_floor:>10,.0f} rows/s  (COPY + INSERT..SELECT)")
        ratio_floor = t_floor / t_apply
        verdict = "ok" if ratio_floor >= TARGET_APPLY_RATIO else "UNDER"
        print(f"apply / floor         {ratio_floor:>10.2f} x (target >= {TARGET_APPLY_RATIO}x: {verdict})")
        rate = total / e2e
        ratio = rate / TARGET_ROWS_PER_S
        print(f"end to end            {e2e:>10.2f} s  {rate:>10,.0f} rows/s  ratio to target {ratio:.2f}x")

        again, t2v, t2a = run_once()
        print(
            f"re-import same file   {t2v + t2a:>10.2f} s  (check {t2v:.2f} s, apply {t2a:.2f} s) created "
            f"{again.counts['created_persons']} persons, {again.counts['created_enrollments']} enrollments (must be 0)"
        )
        assert again.counts["created_enrollments"] == 0
        assert again.counts["created_persons"] == 0
        assert again.error_rows == batch.error_rows, (again.error_rows, batch.error_rows)
        assert Person.objects.count() == batch.counts["created_persons"] + added
        assert Enrollment.objects.count() == batch.counts["created_enrollments"] + added
        rss = peak_rss_mb()
        verdict = "ok" if rss < TARGET_RSS_MB else "OVER"
        print(f"peak RSS              {rss:>10.0f} MB  (target < {TARGET_RSS_MB} MB: {verdict})")
        return {
            "stats": args.stats,
            "rows": total,
            "validate": t_validate,
            "apply": t_apply,
            "floor": t_floor,
            "reimport": t2v + t2a,
        }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--error-rate", type=float, default=0.001)
    parser.add_argument("--stats", choices=(*STATS, "all"), default="fresh")
    parser.add_argument("--database", default="yibao_bench_import")
    parser.add_argument("--floor-database", default="", help="default: <database>_floor")
    parser.add_argument("--trace", action="store_true", help="print the product's statements over 0.1 s")
    parser.add_argument("--json", default="", help=argparse.SUPPRESS)  # where a child of --stats all reports
    args = parser.parse_args()
    args.floor_database = args.floor_database or f"{args.database}_floor"

    path = Path(f"/tmp/yibao-bench-{args.rows}.csv")
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "synth_city.py"), str(path), "--rows", str(args.rows),
             "--error-rate", str(args.error_rate)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    if args.stats != "all":
        result = run_variant(args, path)
        if args.json:
            Path(args.json).write_text(json.dumps(result))
        return 0

    # Each variant in its own process and database: statistics, caches and peak RSS do not carry over.
    results = {}
    for variant in STATS:
        out = Path(f"/tmp/{args.database}-{variant}.json")
        print(f"--- statistics: {variant}", flush=True)
        subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--error-rate", str(args.error_rate),
             "--stats", variant, "--database", args.database, "--floor-database", args.floor_database,
             "--json", str(out)],
            check=True, env=os.environ,
        )  # fmt: skip
        results[variant] = json.loads(out.read_text())
    fresh = results["fresh"]
    print("--- statistics summary (seconds; ratio to fresh, target <= 1.5x)")
    for variant, r in results.items():
        cells = []
        for phase in ("validate", "apply", "reimport"):
            ratio = r[phase] / fresh[phase]
            mark = "" if ratio <= WITHIN else " OVER"
            cells.append(f"{phase} {r[phase]:6.2f} s ({ratio:.2f}x{mark})")
        cells.append(f"apply/floor {r['floor'] / r['apply']:.2f}x")
        print(f"{variant:12} " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
