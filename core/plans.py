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
    with transaction.atomic(using=using, savepoint=False):
        with connection.cursor() as cursor:
            previous = []
            for name in names:
                cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, settings[name]])
                previous.append(cursor.fetchone()[0])
        yield
        with connection.cursor() as cursor:
            for name, value in zip(names, previous, strict=True):
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


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
