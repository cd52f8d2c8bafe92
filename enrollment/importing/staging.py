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


def analyze_targets() -> None:
    """After a big apply, refresh statistics of the tables it grew (autovacuum would, later)."""
    analyze_tables("enrollment_person", "enrollment_enrollment")
