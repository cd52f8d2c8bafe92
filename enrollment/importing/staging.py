"""Write checked rows into the staging table: COPY on PostgreSQL, executemany elsewhere."""

from collections.abc import Sequence

from django.db import connection

from .columns import STAGING_COLUMNS

TABLE = "enrollment_importstagingrow"


def stage_rows(rows: Sequence[tuple]) -> None:
    if not rows:
        return
    columns = ", ".join(STAGING_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:  # noqa: S608 (constant names)
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(STAGING_COLUMNS))
            cursor.executemany(f"INSERT INTO {TABLE} ({columns}) VALUES ({marks})", rows)  # noqa: S608


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
