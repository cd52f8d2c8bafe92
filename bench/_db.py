"""A throw-away PostgreSQL database for one benchmark run, created and dropped around it."""

import os
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@contextmanager
def bench_database(name: str, *, reuse: bool = False):
    """Create database `name` next to DATABASE_URL's, point Django at it, migrate, drop it afterwards.

    `reuse` keeps an existing database of that name (and keeps it afterwards), e.g. the city that
    `BENCH_KEEP_DB=1 bench_import.py` left behind."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("benchmarks need DATABASE_URL=postgresql://... (the production database engine)")
    parts = urllib.parse.urlsplit(url)
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.pop("CELERY_BROKER_URL", None)  # tasks run in-process, synchronously
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.YIBAO_EAGER_IN_THREAD = False
    settings.MEDIA_ROOT = str(Path("/tmp") / f"{name}-media")
    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        if not (reuse or os.environ.get("BENCH_KEEP_DB")):
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def scalar(cursor, sql: str, params=None):
    """The first column of the first row of `sql`."""
    cursor.execute(sql, params or [])
    return cursor.fetchone()[0]


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


STATS = ("fresh", "empty", "one-percent")
WITHIN = 1.5  # issue 14 point 4: each statistics variant within 1.5x of fresh


def stats_argument(parser) -> None:
    parser.add_argument("--stats", choices=[*STATS, "all"], default="all")


def stats_variants(choice: str, run, report, *, label) -> list[dict]:
    """run(stats) -> a result dict with "stats", for each variant `choice` names ("all": the three), each
    reported as it ends; `label(result)` says what was built, for the line that times the variant."""
    results = []
    for stats in STATS if choice == "all" else [choice]:
        started = time.perf_counter()
        result = run(stats)
        results.append(result)
        print(f"[{stats}] {label(result)}: variant done in {time.perf_counter() - started:.1f} s")
        report(result)
    return results


def within_fresh(results: list[dict], keys: tuple[str, ...] = ("seconds",)) -> dict | None:
    """Print each variant's slowdown against fresh statistics (rows/s, fresh / variant) for each timed key;
    the fresh result, or None if it was not run."""
    fresh = next((r for r in results if r["stats"] == "fresh"), None)
    if fresh:
        print(f"within {WITHIN}x of fresh (rows/s, fresh / variant):")
        for r in results:
            for key in keys:
                slower = (fresh["rows"] / fresh[key]) / (r["rows"] / r[key])
                name = f"{r['stats']:<12} {key}:" if len(keys) > 1 else f"{r['stats']:<12}"
                print(f"  {name} {slower:.2f}x {'ok' if slower <= WITHIN else 'TOO SLOW'}")
    return fresh
