"""The fund books' integrity in the database itself, and the funds and charts as data.

* PostgreSQL: a constraint trigger, deferred to COMMIT, refuses a transaction that leaves a journal entry
  without lines or with lines that do not sum to zero per fund and district (debits = credits). It is
  deferred because an entry's lines arrive one INSERT after another.
* Every database: UPDATE and DELETE of entries and lines are refused (append-only; a correction is a
  reversing entry). TRUNCATE is left to privileges, as for the audit trail (0002).
* SQLite, the embedded demo database, has no deferred triggers: there the balance is checked by
  `core.ledger` before every write.
"""

from django.db import migrations

from core.ledger_chart import ledger_chart_sync

PG_FORWARD = """
CREATE OR REPLACE FUNCTION core_journal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused): post a reversing entry', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_journalentry_no_update_delete BEFORE UPDATE OR DELETE ON core_journalentry
    FOR EACH ROW EXECUTE FUNCTION core_journal_append_only();
CREATE TRIGGER core_journalline_no_update_delete BEFORE UPDATE OR DELETE ON core_journalline
    FOR EACH ROW EXECUTE FUNCTION core_journal_append_only();

CREATE OR REPLACE FUNCTION core_journal_balanced() RETURNS trigger AS $$
DECLARE
    entry bigint;
    bad record;
BEGIN
    IF TG_TABLE_NAME = 'core_journalentry' THEN
        entry := NEW.id;
    ELSE
        entry := NEW.entry_id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core_journalline WHERE entry_id = entry) THEN
        RAISE EXCEPTION 'journal entry % has no lines', entry USING ERRCODE = 'check_violation';
    END IF;
    SELECT a.fund_id, l.district_id, SUM(l.amount) AS total INTO bad
      FROM core_journalline l JOIN core_ledgeraccount a ON a.id = l.account_id
     WHERE l.entry_id = entry
     GROUP BY a.fund_id, l.district_id
    HAVING SUM(l.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance: fund %, district %, debits - credits = %',
            entry, bad.fund_id, bad.district_id, bad.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER core_journalentry_has_lines AFTER INSERT ON core_journalentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION core_journal_balanced();
CREATE CONSTRAINT TRIGGER core_journalline_balanced AFTER INSERT ON core_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION core_journal_balanced();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS core_journalline_balanced ON core_journalline;
DROP TRIGGER IF EXISTS core_journalentry_has_lines ON core_journalentry;
DROP TRIGGER IF EXISTS core_journalline_no_update_delete ON core_journalline;
DROP TRIGGER IF EXISTS core_journalentry_no_update_delete ON core_journalentry;
DROP FUNCTION IF EXISTS core_journal_balanced();
DROP FUNCTION IF EXISTS core_journal_append_only();
"""
TABLES = ("core_journalentry", "core_journalline")
SQLITE_FORWARD = [
    f"""CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only ({op} refused)'); END;"""
    for table in TABLES
    for op in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {table}_no_{op};" for table in TABLES for op in ("update", "delete")]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)
    ledger_chart_sync(apps)


def reverse(apps, schema_editor):
    # The funds and charts go with their tables (0008); only the triggers are ours to drop.
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_fund_books")]
    operations = [migrations.RunPython(forward, reverse)]
