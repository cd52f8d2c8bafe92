"""The enrollee staging table: rows written through the floor's StagingWriter, then cleared and analysed."""

from django.db import connection

from core.db_roles import analyze_tables
from core.importing.staging import StagingWriter

from .columns import STAGING_COLUMNS

TABLE = "enrollment_importstagingrow"


def staging_writer() -> StagingWriter:
    """A writer of checked rows (tuples in STAGING_COLUMNS order) into the enrollee staging table."""
    return StagingWriter(TABLE, STAGING_COLUMNS)


def clear_staging(batch_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE batch_id = %s", [batch_id])  # noqa: S608


def staged_id_numbers(*, batch_id: int, row_numbers: list[int]) -> dict[int, str]:
    """Row number -> ID number of the batch's staged rows among `row_numbers` (a page of errors)."""
    placeholders = ", ".join(["%s"] * len(row_numbers))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT row_number, id_number FROM {TABLE} WHERE batch_id = %s AND row_number IN ({placeholders})",  # noqa: S608
            [batch_id, *row_numbers],
        )
        return dict(cursor.fetchall())


def analyze_staging() -> None:
    """Fresh statistics after a big load, so the planner picks hash joins over nested loops."""
    analyze_tables(TABLE)


def big_query_memory() -> None:
    """Inside a transaction: let this transaction's joins and sorts of a whole batch run in memory
    (the server default of 4 MB spills million-row hash joins to disk)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")


def analyze_targets(*, added: int) -> None:
    """After an apply that added `added` rows, refresh the statistics of the tables it grew by more than a
    tenth since they were last analyzed (autovacuum's own threshold; it would, later): the next import's
    checks plan on them. A small import into a big city costs no ANALYZE."""
    if connection.vendor != "postgresql" or not added:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE oid = ANY(%s::regclass[])",
            [["enrollment_person", "enrollment_enrollment"]],
        )
        stale = [name for name, tuples in cursor.fetchall() if tuples < 0 or added > tuples / 10]
    analyze_tables(*stale)


def staged_source(batch_counts: dict | None, batch_id: int) -> int:
    """The batch whose staged rows hold this batch's file: its own, or (a re-import of an unchanged
    file, pipeline._validate_again) the earlier import's, read in place."""
    return int((batch_counts or {}).get("staged_from") or batch_id)
