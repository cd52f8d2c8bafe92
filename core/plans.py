"""Planner settings for batch statements whose plan must not hang on the statistics of the moment.

A nested loop is only as good as the planner's guess of its outer side: told by statistics that a table is
empty (analysed while it held no live rows, as a new database is after a routine `vacuumdb --analyze`) it
reads the other side once per row of a table that in fact holds millions. A batch that joins whole tables
hashes them (`no_nested_loops`); a batch that reads a range and looks the rest up by key says so
(`key_lookups`). JIT compilation is off for both: a batch statement's plan costs millions by the estimate,
so PostgreSQL compiles it, and that took 12 of 14 s of a fraud scan at 1M settlements while the rows it
saves work on are read once.

Each setting is undone at the end of the block: inside an outer transaction (tests, a caller's batch) it
would otherwise outlive the batch; a failed block rolls back to its savepoint, which undoes it too.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction


@contextmanager
def planner_settings(using: str = "default", **settings: str) -> Iterator[None]:
    """SET LOCAL each of `settings` (PostgreSQL; elsewhere nothing) for the block, then restore them.

    The block is a transaction, or part of the caller's: outside a transaction a local setting would last one
    statement, and a session-wide SET would outlive the block on a pooled connection. No savepoint of its
    own: an error inside dooms the caller's transaction anyway, and its rollback undoes the setting."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not settings:
        yield
        return
    names = sorted(settings)
    # One statement reads and sets them all, one restores them: a list page pays two round trips, not two per
    # setting. PostgreSQL evaluates a select list in order, so each current value is read before it is set.
    reads = ", ".join(["current_setting(%s)"] * len(names))
    sets = ", ".join(["set_config(%s, %s, true)"] * len(names))
    with transaction.atomic(using=using, savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {reads}, {sets}", [*names, *(v for n in names for v in (n, settings[n]))])
            previous = cursor.fetchone()[: len(names)]
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {sets}", [v for pair in zip(names, previous, strict=True) for v in pair])


@contextmanager
def no_nested_loops(postgres: bool = True) -> Iterator[None]:
    """Joins inside the block are hashed or merged, never nested loops: linear in both sides, whatever the
    statistics say (what the planner picks anyway when they are right)."""
    if not postgres or connections["default"].vendor != "postgresql":
        yield
        return
    with planner_settings(enable_nestloop="off", jit="off"):
        yield


@contextmanager
def key_lookups() -> Iterator[None]:
    """Every table inside the block is read through an index: a chunk of an id range and the records it
    looks up per row, never a whole table per row because the statistics call it empty."""
    with planner_settings(enable_seqscan="off", jit="off"):
        yield
