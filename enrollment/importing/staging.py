"""Write checked rows into the staging table: one streaming COPY on PostgreSQL, executemany elsewhere."""

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections

from .columns import STAGING_COLUMNS

TABLE = "enrollment_importstagingrow"
_COLUMNS = ", ".join(STAGING_COLUMNS)
_COPY = f"COPY {TABLE} ({_COLUMNS}) FROM STDIN"
_INSERT = f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES ({', '.join(['%s'] * len(STAGING_COLUMNS))})"  # noqa: S608


class StagingWriter:
    """Rows go to the staging table through `write`.

    Streaming (PostgreSQL outside any transaction, as in a worker): one COPY stays open for the
    whole file, so the server stores rows on its own core while Python checks the next ones, and
    progress and row errors go through a second connection (`side`). Otherwise (inside a
    transaction, or on SQLite) rows are buffered and sent in chunks, and the main connection
    serves as `side` between chunks.
    """

    def __init__(self) -> None:
        self.streaming = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._buffer: list[tuple] = []
        self._side = None

    def __enter__(self) -> "StagingWriter":
        if self.streaming:
            self._cursor = connection.cursor()
            self._copy_cm = self._cursor.cursor.copy(_COPY)
            self.write = self._copy_cm.__enter__().write_row
        else:
            self.write = self._buffer.append
        return self

    def _flush(self) -> None:
        if not self._buffer:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(_COPY) as copy:
                    for row in self._buffer:
                        copy.write_row(row)
            else:
                cursor.executemany(_INSERT, self._buffer)
        self._buffer.clear()

    def __exit__(self, exc_type, exc, tb) -> None:
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
    def side(self):
        """The connection for progress and row errors while rows are being written."""
        if not self.streaming:
            self._flush()
            yield connection
            return
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        yield self._side


def clear_staging(batch_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE batch_id = %s", [batch_id])  # noqa: S608


def analyze_staging() -> None:
    """Fresh statistics after a big load, so the planner picks hash joins over nested loops."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")


def big_query_memory() -> None:
    """Inside a transaction: let this transaction's joins and sorts of a whole batch run in memory
    (the server default of 4 MB spills million-row hash joins to disk)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")


def analyze_targets() -> None:
    """After a big apply, refresh statistics of the tables it grew (autovacuum would, later)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE enrollment_person, enrollment_enrollment")
