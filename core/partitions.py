"""Year partitions of big per-year tables (PostgreSQL), built like a warehouse load.

A year's 18M rows inserted into an indexed table with foreign keys pay, per row, every index insertion and a
deferred key check at COMMIT (three per bill: 70-75% of the old collection's time). Built instead as a fresh
table without indexes or keys, loaded set-based, then indexed in one sort per index, its keys added NOT VALID
and validated in one join each, a CHECK on the year so that ATTACH need not scan it, and attached, the same
rows cost a fraction of that. All of it runs in one transaction: a killed run leaves no table behind, half
attached or not, and the next run builds the year again from the start.

The parent keeps a DEFAULT partition for rows of a year that has no partition yet (a single bill issued at the
window before the year's collection ran); the build moves them into the year's table, ids and all, and the
load leaves out what they already cover. SQLite (the embedded demo) has no partitions: callers ask
`year_partition_missing` first and insert as before when it says no.
"""

import re
from collections.abc import Callable

from django.db import connection, transaction


def year_partition_name(*, table: str, year: int) -> str:
    return f"{table}_y{int(year)}"


def _default_partition(table: str) -> str:
    return f"{table}_default"


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


def _parent_definitions(cursor, table: str) -> tuple[list[str], list[str], list[str]]:
    """(key constraints, index statements, foreign keys) of the parent, as DDL bodies for one partition."""
    cursor.execute(
        "SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u', 'f') ORDER BY contype DESC, conname",
        [table],
    )
    rows = cursor.fetchall()
    keys = [definition for kind, definition in rows if kind in ("p", "u")]
    foreign = [definition for kind, definition in rows if kind == "f"]
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = to_regclass(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY i.indexrelid",
        [table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    return keys, indexes, foreign


_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON (?:ONLY )?\S+ USING ")


def year_partition_build(
    *,
    table: str,
    column: str,
    year: int,
    load: Callable[[str, int], int],
    progress: Callable[[str], None] | None = None,
) -> int | None:
    """Build `table`'s partition for `year` and attach it; the rows the load added, or None if it was there.

    `load(part, moved)` fills the fresh table `part` set-based and returns its row count; `moved` says how many
    rows of the year already waited in the default partition and were moved in first (the load must leave
    their keys out). `progress(stage)` is told as each stage begins."""
    year = int(year)
    part = year_partition_name(table=table, year=year)
    default = _default_partition(table)
    say = progress or (lambda stage: None)
    with transaction.atomic(), connection.cursor() as cursor:
        # One builder at a time (the lock conflicts with itself, not with reads or inserts of other years);
        # the default partition is held still so that no row of the year lands there while we build.
        cursor.execute(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE")
        if _attached(cursor, table=table, part=part):
            return None
        has_default = _attached(cursor, table=table, part=default)
        if has_default:
            cursor.execute(f"LOCK TABLE {default} IN EXCLUSIVE MODE")
        say("load")
        cursor.execute(f"DROP TABLE IF EXISTS {part}")
        cursor.execute(f"CREATE TABLE {part} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        moved = 0
        if has_default:
            # (names are the caller's table and column, never user input)
            cursor.execute(f"INSERT INTO {part} SELECT * FROM {default} WHERE {column} = %s", [year])  # noqa: S608
            moved = cursor.rowcount
            if moved:
                cursor.execute(f"DELETE FROM {default} WHERE {column} = %s", [year])  # noqa: S608
                cursor.execute(f"ANALYZE {part}")  # the load's anti-join reads these few rows
        loaded = load(part, moved)
        say("index")
        keys, indexes, foreign = _parent_definitions(cursor, table)
        for n, definition in enumerate(keys):
            cursor.execute(f"ALTER TABLE {part} ADD CONSTRAINT {part}_k{n} {definition}")
        for n, statement in enumerate(indexes):
            cursor.execute(_INDEX.sub(rf"CREATE \g<1>INDEX {part}_i{n} ON {part} USING ", statement))
        say("validate")
        for n, definition in enumerate(foreign):
            cursor.execute(f"ALTER TABLE {part} ADD CONSTRAINT {part}_f{n} {definition} NOT VALID")
            cursor.execute(f"ALTER TABLE {part} VALIDATE CONSTRAINT {part}_f{n}")
        say("attach")
        cursor.execute(
            f"ALTER TABLE {part} ADD CONSTRAINT {part}_year CHECK ({column} IS NOT NULL AND {column} = {year})"
        )
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {part} FOR VALUES IN ({year})")
        cursor.execute(f"ALTER TABLE {part} DROP CONSTRAINT {part}_year")  # the partition bound says it now
        cursor.execute(f"ANALYZE {part}")
    return loaded
