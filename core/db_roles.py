"""Least privilege on PostgreSQL: the schema owner migrates, the runtime role only reads and writes rows.

Two roles (README, "Database roles"):

* the **owner** (e.g. ``yibao_owner``) owns the database, the schema and every table; it runs
  ``migrate`` and then ``db_grants``, and nothing else;
* the **runtime** role (e.g. ``yibao_app``, LOGIN NOCREATEDB, not a member of the owner) is what the web
  server, the workers and beat connect as. It gets SELECT, INSERT, UPDATE, DELETE on the tables; USAGE,
  SELECT and UPDATE (setval, which django-import-export uses) on the sequences but the audit trail's; and
  on the audit table ``core_auditevent`` only SELECT and INSERT. It owns nothing, so it cannot TRUNCATE,
  ALTER, DROP or disable a trigger, and it cannot create tables.

What the runtime role needs besides rows, and how it gets it:

* import staging (``enrollment_importstagingrow``, ``core_importkey``) is created UNLOGGED by migrations,
  so staging needs only INSERT/DELETE and COPY FROM STDIN (which is INSERT);
* the personal-account credit job creates a TEMPORARY table: TEMPORARY on the database;
* sealing the audit chain: EXECUTE on ``core_auditevent_seal()`` (SECURITY DEFINER, migration
  0005_audit_chain);
* ANALYZE after big loads: only a table's owner may ANALYZE it (PostgreSQL 15 skips it for anyone else
  with a warning), so ``analyze_tables`` calls ``yibao_analyze()``, a SECURITY DEFINER function this step
  creates, that analyses one table of the owner's and does nothing else.

``ALTER DEFAULT PRIVILEGES FOR ROLE <owner>`` gives tables and sequences that later migrations create the
same grants; ``db_grants`` is re-runnable and is run after every ``migrate`` anyway (it also takes back
anything granted on the audit table beyond SELECT and INSERT).
"""

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

AUDIT_TABLE = "core_auditevent"
LEDGER_TABLES = ("core_journalentry", "core_journalline")
SEAL_FUNCTION = "core_auditevent_seal(bigint[], bigint[], text[])"
YEAR_PARTITION_FUNCTIONS = (
    "yibao_year_partition_fresh(regclass, integer)",
    "yibao_year_partition_attach(regclass, text, integer)",
)

ANALYZE_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.yibao_analyze(target regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                    WHERE c.oid = target AND c.relkind IN ('r', 'p')
                      AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)) THEN
        RAISE EXCEPTION 'yibao_analyze: % is not a table of the schema owner', target;
    END IF;
    EXECUTE format('ANALYZE %s', target);
END;
$$
"""


class RoleSetupError(Exception):
    """The roles are not as the grants need them (message for the operator)."""


def _one(cursor, sql: str, params: list | None = None):
    cursor.execute(sql, params or [])
    row = cursor.fetchone()
    return row[0] if row else None


def grant_statements(
    *, runtime_role: str, owner_role: str, database: str, schema: str, audit_sequence: str
) -> list[str]:
    """The SQL that gives `runtime_role` exactly what the application needs (run as `owner_role`)."""
    q = connection.ops.quote_name
    audit_seq = audit_sequence  # already qualified and quoted (pg_get_serial_sequence)
    app, owner, db, sch = q(runtime_role), q(owner_role), q(database), q(schema)
    audit = f"{sch}.{q(AUDIT_TABLE)}"
    default = f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch}"
    return [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {app}",
        f"REVOKE CREATE ON DATABASE {db} FROM {app}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {app}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC",
        # Rows of every table; nothing else (no TRUNCATE, REFERENCES, TRIGGER).
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        # The audit trail: read and append only.
        f"REVOKE ALL ON {audit} FROM {app}",
        f"REVOKE ALL ON {audit} FROM PUBLIC",
        f"GRANT SELECT, INSERT ON {audit} TO {app}",
        # The fund books: append-only too (a correction is a reversing entry).
        *(f"REVOKE UPDATE, DELETE ON {sch}.{q(table)} FROM {app}" for table in LEDGER_TABLES),
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {app}",
        # UPDATE: setval(), which django-import-export runs after the admin imports new rows.
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        # Not on the audit trail's: its ids are only ever drawn (USAGE), never reset.
        f"REVOKE UPDATE ON SEQUENCE {audit_seq} FROM {app}",
        # What later migrations create gets the same.
        f"{default} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"{default} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app}",
        # Functions the runtime role calls; PostgreSQL gives EXECUTE to PUBLIC by default, these do not.
        f"REVOKE ALL ON FUNCTION {sch}.{SEAL_FUNCTION} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {sch}.{SEAL_FUNCTION} TO {app}",
        ANALYZE_FUNCTION.format(schema=sch),
        f"REVOKE ALL ON FUNCTION {sch}.yibao_analyze(regclass) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {sch}.yibao_analyze(regclass) TO {app}",
        # The year partition's build (core/migrations/0014, core.partitions).
        *(
            statement
            for function in YEAR_PARTITION_FUNCTIONS
            for statement in (
                f"REVOKE ALL ON FUNCTION {sch}.{function} FROM PUBLIC",
                f"GRANT EXECUTE ON FUNCTION {sch}.{function} TO {app}",
            )
        ),
    ]


def runtime_role_problems(*, runtime_role: str, db: BaseDatabaseWrapper | None = None) -> list[str]:
    """Why `runtime_role` is not a least-privilege role (empty: it is one). Run as the owner."""
    db = db or connection
    problems = []
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = %s",
            [runtime_role],
        )
        row = cursor.fetchone()
        if row is None:
            return [f"role {runtime_role!r} does not exist (CREATE ROLE {runtime_role} LOGIN PASSWORD ...)"]
        for flag, name in zip(row, ("SUPERUSER", "CREATEROLE", "CREATEDB", "BYPASSRLS"), strict=True):
            if flag:
                problems.append(f"role {runtime_role!r} has {name}")
        if _one(cursor, "SELECT %s = current_user", [runtime_role]):
            problems.append("the runtime role is the owner: connect as the owner to run db_grants")
        elif _one(cursor, "SELECT pg_has_role(%s, current_user, 'MEMBER')", [runtime_role]):
            problems.append(f"role {runtime_role!r} is a member of the owner role")
        owned = _one(
            cursor,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)",
            [runtime_role],
        )
        if owned:
            problems.append(f"role {runtime_role!r} owns {owned} tables, indexes or sequences (ALTER ... OWNER TO)")
    return problems


def grants_apply(*, runtime_role: str, db: BaseDatabaseWrapper | None = None) -> list[str]:
    """Check the roles, then grant (re-runnable, one transaction). Run as the owner, after migrate."""
    db = db or connection
    if db.vendor != "postgresql":
        raise RoleSetupError("database roles apply to PostgreSQL only")
    with db.cursor() as cursor:
        owner = _one(
            cursor,
            "SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = to_regclass(%s)",
            [AUDIT_TABLE],
        )
        current, database, schema = (
            _one(cursor, "SELECT current_user"),
            _one(cursor, "SELECT current_database()"),
            _one(cursor, "SELECT current_schema()"),
        )
        audit_sequence = _one(cursor, "SELECT pg_get_serial_sequence(%s, 'id')", [AUDIT_TABLE])
    if owner is None:
        raise RoleSetupError(f"{AUDIT_TABLE} does not exist: run migrate (as the owner) first")
    if owner != current:
        raise RoleSetupError(
            f"connected as {current!r}, but the tables belong to {owner!r}: run db_grants as the owner"
        )
    problems = runtime_role_problems(runtime_role=runtime_role, db=db)
    if problems:
        raise RoleSetupError("; ".join(problems))
    statements = grant_statements(
        runtime_role=runtime_role, owner_role=owner, database=database, schema=schema, audit_sequence=audit_sequence
    )
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    return statements


def analyze_tables(*tables: str) -> None:
    """ANALYZE after a big load, as whichever role runs: directly as the owner, else via yibao_analyze()."""
    if connection.vendor != "postgresql" or not tables:
        return
    with connection.cursor() as cursor:
        own_all = _one(
            cursor,
            "SELECT bool_and(pg_has_role(c.relowner, 'USAGE')) FROM pg_class c WHERE c.oid = ANY(%s::regclass[])",
            [list(tables)],
        )
        if own_all:
            cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")
            return
        if not _one(
            cursor,
            "SELECT coalesce(has_function_privilege(to_regprocedure('yibao_analyze(regclass)')::oid, 'EXECUTE'),"
            " false)",
        ):
            return  # grants not applied yet (a developer's database): statistics come from autovacuum
        for table in tables:
            cursor.execute("SELECT yibao_analyze(%s::regclass)", [table])
