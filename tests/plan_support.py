"""Statistics for plan tests, which fill tables inside the test's transaction and read the plans."""

from django.db import connection

from core.db_roles import analyze_tables


def analyze_held(*tables: str) -> None:
    """ANALYZE as whichever role the suite runs as (a bare ANALYZE by the runtime role, which does not own the
    tables, only warns and skips), then keep autovacuum off these tables until the test's transaction ends.
    Autovacuum cannot see the test's uncommitted rows: an auto-analyze between this and the EXPLAIN would
    write an empty table's statistics over these (CI saw it, 2026-11-27). It skips a table it cannot lock."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"LOCK TABLE {', '.join(connection.ops.quote_name(t) for t in tables)} IN SHARE UPDATE EXCLUSIVE MODE"
        )
    analyze_tables(*tables)
