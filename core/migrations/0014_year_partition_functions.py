"""The DDL of a year partition's build, as two SECURITY DEFINER functions of the schema owner (PostgreSQL).

The application connects as a runtime role that may not create, alter or analyse tables (core.db_roles). The
yearly build of a partition (core.partitions) needs exactly that, for one table and one year, so it calls
these two functions, which do that and nothing else: they accept only a partitioned table of the owner's and
touch only its `<table>_y<year>` table and its default partition. `db_grants` takes EXECUTE from PUBLIC and
gives it to the runtime role.
"""

from django.db import migrations

FRESH = r"""
CREATE OR REPLACE FUNCTION yibao_year_partition_fresh(parent regclass, yr integer) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    base text;
    part text;
BEGIN
    SELECT c.relname INTO base FROM pg_catalog.pg_class c
     WHERE c.oid = parent AND c.relkind = 'p'
       AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user);
    IF base IS NULL THEN
        RAISE EXCEPTION 'yibao_year_partition_fresh: % is not a partitioned table of the schema owner', parent;
    END IF;
    part := base || '_y' || yr;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_inherits WHERE inhparent = parent AND inhrelid = to_regclass(part)) THEN
        RETURN false;  -- the year is attached: nothing to build
    END IF;
    EXECUTE format('DROP TABLE IF EXISTS %I', part);  -- a killed build's unattached table
    EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
    RETURN true;
END;
$$
"""

ATTACH = r"""
CREATE OR REPLACE FUNCTION yibao_year_partition_attach(parent regclass, col text, yr integer) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    base text;
    part text;
    dflt text;
    r record;
    n integer := 0;
BEGIN
    SELECT c.relname INTO base FROM pg_catalog.pg_class c
     WHERE c.oid = parent AND c.relkind = 'p'
       AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user);
    IF base IS NULL THEN
        RAISE EXCEPTION 'yibao_year_partition_attach: % is not a partitioned table of the schema owner', parent;
    END IF;
    part := base || '_y' || yr;
    dflt := base || '_default';
    -- One builder at a time (the lock conflicts with itself, not with reads or inserts of other years).
    EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', parent);
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_inherits WHERE inhparent = parent AND inhrelid = to_regclass(part)) THEN
        RETURN false;
    END IF;
    IF to_regclass(part) IS NULL THEN
        RAISE EXCEPTION 'yibao_year_partition_attach: % was not built', part;
    END IF;
    -- The year's rows that waited in the default partition move in, ids and all; held still meanwhile.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_inherits WHERE inhparent = parent AND inhrelid = to_regclass(dflt)) THEN
        EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', dflt);
        EXECUTE format('INSERT INTO %I SELECT * FROM %I WHERE %I = $1', part, dflt, col) USING yr;
        EXECUTE format('DELETE FROM %I WHERE %I = $1', dflt, col) USING yr;
    END IF;
    -- The parent's keys and indexes, each built in one sort; ATTACH then adopts them instead of building.
    FOR r IN SELECT pg_get_constraintdef(oid) AS def FROM pg_catalog.pg_constraint
              WHERE conrelid = parent AND contype IN ('p', 'u') ORDER BY contype DESC, conname LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', part, part || '_k' || n, r.def);
        n := n + 1;
    END LOOP;
    n := 0;
    FOR r IN SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_catalog.pg_index i
              WHERE i.indrelid = parent
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid)
              ORDER BY i.indexrelid LOOP
        EXECUTE regexp_replace(r.def, '^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ USING ',
                               'CREATE \1INDEX ' || quote_ident(part || '_i' || n) || ' ON ' || quote_ident(part)
                               || ' USING ');
        n := n + 1;
    END LOOP;
    -- Foreign keys checked set-based: one join each, not one check per row at COMMIT.
    n := 0;
    FOR r IN SELECT pg_get_constraintdef(oid) AS def FROM pg_catalog.pg_constraint
              WHERE conrelid = parent AND contype = 'f' ORDER BY conname LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s NOT VALID', part, part || '_f' || n, r.def);
        EXECUTE format('ALTER TABLE %I VALIDATE CONSTRAINT %I', part, part || '_f' || n);
        n := n + 1;
    END LOOP;
    -- The CHECK that lets ATTACH skip its scan; the partition bound says it once attached.
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I IS NOT NULL AND %I = %s)',
                   part, part || '_year', col, col, yr);
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES IN (%s)', parent, part, yr);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_year');
    EXECUTE format('ANALYZE %I', part);
    RETURN true;
END;
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FRESH)  # (no parameters: the bodies' % are format()'s)
            cursor.execute(ATTACH)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS yibao_year_partition_fresh(regclass, integer)")
        schema_editor.execute("DROP FUNCTION IF EXISTS yibao_year_partition_attach(regclass, text, integer)")


class Migration(migrations.Migration):
    dependencies = [("core", "0013_remote_care_roles_and_sources")]

    operations = [migrations.RunPython(create, drop)]
