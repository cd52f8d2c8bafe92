"""Bulk-load rows into a staging table: COPY on PostgreSQL, executemany elsewhere (SQLite for a laptop).

Staging tables (enrollment's rows, core's keys) have no foreign keys and are UNLOGGED on PostgreSQL,
so a load runs at full speed; they hold nothing that cannot be rebuilt from the batch's file.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper


def _copy_sql(table: str, columns: Sequence[str]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Load rows (tuples in `columns` order) on the main connection, inside or outside a transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(_copy_sql(table, columns)) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(_insert_sql(table, columns), list(rows))


class StagingWriter:
    """Rows go to a staging table through `write`.

    Streaming (PostgreSQL outside any transaction, as in a worker): one COPY stays open for the
    whole file, so the server stores rows on its own core while Python checks the next ones, and
    progress and row errors go through a second connection (`side`). Otherwise (inside a
    transaction, or on SQLite) rows are buffered and sent in chunks, and the main connection
    serves as `side` between chunks.
    """

    def __init__(self, table: str, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.streaming = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._buffer: list[Sequence] = []
        self._side: BaseDatabaseWrapper | None = None

    def __enter__(self) -> "StagingWriter":
        if self.streaming:
            self._cursor = connection.cursor()
            self._copy_cm = self._cursor.cursor.copy(_copy_sql(self.table, self.columns))
            copy = self._copy_cm.__enter__()
            self.write = copy.write_row
            self.write_copy_text = copy.write
        else:
            self.write = self._buffer.append
        return self

    def write_copy_text(self, data: bytes) -> None:
        """Rows already in COPY's text format (streaming only; otherwise write tuples)."""
        raise RuntimeError("COPY text needs a streaming writer")

    def _flush(self) -> None:
        if self._buffer:
            copy_rows(self.table, self.columns, self._buffer)
            self._buffer.clear()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.streaming:
                self._copy_cm.__exit__(exc_type, exc, tb)
                self._cursor.close()
            elif exc_type is None:
                self._flush()
        finally:
            if self._side is not None:
                self._side.close()

    @contextmanager
    def side(self) -> Iterator[BaseDatabaseWrapper]:
        """The connection for progress and row errors while rows are being written."""
        if not self.streaming:
            self._flush()
            yield connection
            return
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        yield self._side
