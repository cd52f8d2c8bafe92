"""Reads a dashboard or report may take from the read replica (docs/operations.md, "Read replica").

A streaming replica answers a few hundred milliseconds (or, under a bulk load, minutes) behind the primary.
A read may go there only when a stale answer is harmless and nothing the caller does next depends on it:
the fund books page, its indicators, the 异地就医 indicators. `reporting_reads()` marks such a block; the
router (config/db_router.py) sends its reads to the replica when one is configured, and still to the
primary when the block runs inside a transaction or has written anything: a block that wrote must read
its own writes, which the replica may not have yet.

Nothing that reconciles, posts or validates may run inside it (`fund_books reconcile`, the clearing, the
year's collection): they compare or extend what the primary holds now.

The mark lives in a context variable: each thread (and each asyncio task) has its own, and the worker
threads of core.parallel start without it, so batch statements never read from the replica.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class _Reporting:
    wrote: bool = False


_current: ContextVar[_Reporting | None] = ContextVar("yibao_reporting_reads", default=None)


@contextmanager
def reporting_reads() -> Iterator[None]:
    """Reads in this block may come from the read replica. Also a decorator: `@reporting_reads()`.
    Nested blocks share the outer one's state, so a write anywhere inside pins the whole block to the
    primary."""
    if _current.get() is not None:
        yield
        return
    token = _current.set(_Reporting())
    try:
        yield
    finally:
        _current.reset(token)


def replica_eligible() -> bool:
    """Inside reporting_reads(), and nothing written in it yet."""
    state = _current.get()
    return state is not None and not state.wrote


def note_write() -> None:
    """A write (or a read for update) inside reporting_reads(): the rest of the block reads the primary."""
    state = _current.get()
    if state is not None:
        state.wrote = True
