"""Side-by-side batch statements on PostgreSQL: one thread and one database connection each.

A big INSERT..SELECT keeps one core busy in its PostgreSQL backend; the Python side only waits. Batches
whose parts do not touch the same rows (fraud rules, bill chunks over disjoint id ranges) finish sooner
on a few connections at once. Inside an outer transaction (tests, callers that must see their own
uncommitted rows) other connections would not see those rows, so the parts then run here, in order.
"""

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, connections


def batch_workers() -> int:
    """How many parts of a batch may run at once here (1: one after the other)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, settings.YIBAO_BATCH_WORKERS)


def run_side_by_side(run: Callable[..., Any], parts: Iterable[tuple], *, workers: int) -> list[Any]:
    """run(*part) for every part, at most `workers` at a time; results in the parts' order.

    The first failure is raised here once the parts already started have finished."""
    parts = list(parts)
    if workers <= 1 or len(parts) <= 1:
        return [run(*part) for part in parts]

    def one(part: tuple) -> Any:
        try:
            return run(*part)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, part) for part in parts]
        return [future.result() for future in futures]
