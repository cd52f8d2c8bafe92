"""An index on the settlement's diagnosis code, compared by code point (COLLATE "C"), on PostgreSQL.

The fraud scan's rules about one settlement (限性别/限年龄: a diagnosis some rule limits to one sex or an age)
read only the settlements whose code falls in a few ranges: through this index, a few tens of thousands of rows
out of the year, instead of a scan testing every settlement's code (1.8 s of the 3.2 s pass at 5M settlements).
The codes are ASCII, so code-point order is the order the rules mean on any database collation; an index in the
database's own collation (zh_CN in a bureau) would not serve those comparisons.

Built CONCURRENTLY: on a city's settlement table a plain CREATE INDEX would block settling for its build. An
interrupted build leaves an invalid index; running the migration again drops it and builds it anew.
SQLite (the embedded demo) keeps its plain scan. Reversible: the reverse drops the index."""

from django.db import migrations

NAME = "settlement_diagnosis_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A build that was interrupted (a lost connection, a cancelled deploy) leaves an invalid index of this name,
    # which IF NOT EXISTS would keep: it is dropped and built again.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s AND NOT i.indisvalid",
            [NAME],
        )
        if cursor.fetchone():
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
    schema_editor.execute(
        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON benefits_settlement ((diagnosis_code COLLATE "C"))'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("benefits", "0017_account_entry_lean_indexes")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
