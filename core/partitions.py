"""Year partitions of big per-year tables (PostgreSQL), built like a warehouse load.

A year's 18M rows inserted into an indexed table with foreign keys pay, per row, every index insertion and a
deferred key check at COMMIT (three per bill: 70-75% of the old collection's time). Built instead as a fresh
table without indexes or keys, loaded set-based, then indexed in one sort per index, its keys added NOT VALID
and validated in one join each, a CHECK on the year so that ATTACH need not scan it, and attached, the same
rows cost a fraction of that. Everything after the load runs in one transaction: a killed run never leaves a
half-attached table, and the next run builds the year again from the start.

The parent keeps a DEFAULT partition for rows of a year that has no partition yet (a single bill issued at the
window before the year's collection ran); the load leaves out what they already cover, and the build then
moves them into the year's table, ids and all. The load may run in parts side by side on both cores, each
committed into the still unattached table (`year_partition_build`). SQLite (the embedded demo) has no
partitions: callers ask `year_partition_missing` first and insert as before when it says no.
"""

import logging
import time
from collections.abc import Callable

from django.db import connection, transaction

from .parallel import run_side_by_side

log = logging.getLogger(__name__)


def year_partition_name(*, table: str, year: int) -> str:
    return f"{table}_y{int(year)}"


def _is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return bool(row and row[0])


def _attached(cursor, *, table: str, part: str) -> bool:
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = to_regclass(%s) AND inhrelid = to_regclass(%s))",
        [table, part],
    )
    return cursor.fetchone()[0]


def year_partition_missing(*, table: str, year: int) -> bool:
    """True when `table` is partitioned (PostgreSQL) and `year` has no partition of its own yet."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        if not _is_partitioned(cursor, table):
            return False
        return not _attached(cursor, table=table, part=year_partition_name(table=table, year=year))


def year_partition_build(
    *,
    table: str,
    column: str,
    year: int,
    load: Callable[..., int],
    parts: list[tuple] | None = None,
    workers: int = 1,
    finish: Callable[[], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> int | None:
    """Build `table`'s partition for `year` and attach it; the rows the load added, or None if it was there.

    `load(part, *p)` fills the fresh table `part` set-based, for each p of `parts` (one load of everything
    by default), and returns its row count; it must leave out the keys of the rows of the year that wait in
    the default partition (they read as `table`'s rows of the year), which are moved in after it. `finish()`
    runs in the transaction that attaches (the caller's postings). `progress(stage)` is told as each stage
    begins, and "done" at the end.

    With `workers` > 1 and no outer transaction, the parts load side by side on their own connections, each
    committed into the still unattached table, and the rest runs in one transaction: a run killed while
    loading leaves that unattached table, which the next run drops and loads again. Otherwise everything is
    one transaction."""
    year = int(year)
    part = year_partition_name(table=table, year=year)
    parts = parts or [()]
    clock = {"stage": "", "at": time.monotonic()}

    def say(stage: str) -> None:
        # Each stage's time goes to the log (operators size the night's window from it).
        now = time.monotonic()
        if clock["stage"]:
            log.info("%s: %s %.2f s", part, clock["stage"], now - clock["at"])
        clock.update(stage=stage, at=now)
        if progress:
            progress(stage)

    def fresh_table(cursor) -> bool:
        # The DDL is the schema owner's (core/migrations/0014): the runtime role may not create tables.
        cursor.execute("SELECT yibao_year_partition_fresh(%s::regclass, %s)", [table, year])
        return cursor.fetchone()[0]

    side_by_side = workers > 1 and len(parts) > 1 and not connection.in_atomic_block
    if side_by_side:
        # One builder at a time for the whole build, loads included (a session lock: they commit).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [part])
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                say("load")
                if not fresh_table(cursor):
                    return None
            loaded = sum(run_side_by_side(lambda *p: _committed(load, part, *p), parts, workers=workers))
            return _finish(table=table, column=column, year=year, loaded=loaded, finish=finish, say=say)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [part])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [part])  # one builder at a time
        say("load")
        if not fresh_table(cursor):
            return None
        loaded = sum(load(part, *p) for p in parts)
        return _finish(table=table, column=column, year=year, loaded=loaded, finish=finish, say=say)


def _committed(load: Callable[..., int], part: str, *p) -> int:
    with transaction.atomic():
        return load(part, *p)


def _finish(
    *,
    table: str,
    column: str,
    year: int,
    loaded: int,
    finish: Callable[[], None] | None,
    say: Callable[[str], None],
) -> int | None:
    """Move the year's waiting rows in, index, validate, attach (the owner's function), finish: one
    transaction. A row that came to wait in the default partition while the parts loaded fails the unique
    key there: the transaction rolls back and the next run builds the year again."""
    with transaction.atomic(), connection.cursor() as cursor:
        say("attach")
        cursor.execute("SELECT yibao_year_partition_attach(%s::regclass, %s, %s)", [table, column, year])
        if not cursor.fetchone()[0]:
            return None
        if finish:
            say("finish")
            finish()
        say("done")
    return loaded
