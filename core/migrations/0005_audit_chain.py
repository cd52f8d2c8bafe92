"""Tamper evidence for the audit trail (core/audit_chain.py): the chain columns, the seal function, an
append-only trigger that lets the chain columns be written once, and the nightly check in celery beat.

PostgreSQL: ``core_auditevent_seal(ids, seqs, hashes)`` is SECURITY DEFINER, owned by the role that
migrates (the schema owner), so the runtime role, which may only SELECT and INSERT the table, can seal
events without UPDATE rights. It writes only empty chain columns and only as the next links of the
chain. SQLite: adding a unique column rebuilds the table and drops its triggers, so both are made again.
"""

import json

from django.db import migrations, models

PG_TRIGGER = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    -- Sealing: the chain columns go from empty to a value once; every other column stays as it was.
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
       AND (to_jsonb(NEW) - 'chain_seq' - 'chain_hash') = (to_jsonb(OLD) - 'chain_seq' - 'chain_hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'core_auditevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
PG_TRIGGER_REVERSE = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_auditevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
PG_SEAL = """
CREATE OR REPLACE FUNCTION core_auditevent_seal(p_ids bigint[], p_seqs bigint[], p_hashes text[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    tip bigint;
    sealed integer;
BEGIN
    IF cardinality(p_ids) = 0 THEN
        RETURN 0;
    END IF;
    IF cardinality(p_ids) <> cardinality(p_seqs) OR cardinality(p_ids) <> cardinality(p_hashes) THEN
        RAISE EXCEPTION 'core_auditevent_seal: arrays of different lengths';
    END IF;
    SELECT coalesce(max(chain_seq), 0) INTO tip FROM core_auditevent;
    -- Only the next links, without gaps: a caller cannot leave holes or overwrite the chain.
    IF EXISTS (SELECT 1 FROM unnest(p_seqs) WITH ORDINALITY AS s(seq, n) WHERE s.seq <> tip + s.n) THEN
        RAISE EXCEPTION 'core_auditevent_seal: sequence numbers must continue the chain at %', tip + 1;
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_hashes) AS h(v) WHERE v !~ '^[0-9a-f]{{64}}$') THEN
        RAISE EXCEPTION 'core_auditevent_seal: not a sha256 hex digest';
    END IF;
    UPDATE core_auditevent e SET chain_seq = s.seq, chain_hash = s.hash
      FROM unnest(p_ids, p_seqs, p_hashes) AS s(id, seq, hash)
     WHERE e.id = s.id AND e.chain_seq IS NULL;
    GET DIAGNOSTICS sealed = ROW_COUNT;
    IF sealed <> cardinality(p_ids) THEN
        RAISE EXCEPTION 'core_auditevent_seal: % of % events were unsealed', sealed, cardinality(p_ids);
    END IF;
    RETURN sealed;
END;
$$;
REVOKE ALL ON FUNCTION core_auditevent_seal(bigint[], bigint[], text[]) FROM PUBLIC;
"""
PG_SEAL_REVERSE = "DROP FUNCTION IF EXISTS core_auditevent_seal(bigint[], bigint[], text[]);"

# Every column but the chain's: an UPDATE may only fill the chain columns, once.
SQLITE_CONTENT = (
    "id", "occurred_at", "actor_id", "actor_username", "action", "object_type", "object_id", "object_repr",
    "district_id", "old_values", "new_values", "ip_address", "note",
)  # fmt: skip
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete;",
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       WHEN NOT (OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL AND {same})
       BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (UPDATE refused)'); END;""".format(
        same=" AND ".join(f"NEW.{c} IS OLD.{c}" for c in SQLITE_CONTENT)
    ),
    """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (DELETE refused)'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (UPDATE refused)'); END;""",
]

SCHEDULE_NAME = "夜间操作日志完整性校验 nightly audit chain check"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
        schema_editor.execute(PG_TRIGGER, params=None)
        schema_editor.execute(PG_SEAL.format(schema=schema_editor.quote_name(schema)), params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)
    crontab = apps.get_model("django_celery_beat", "CrontabSchedule")
    task = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = crontab.objects.get_or_create(
        minute="15", hour="4", day_of_month="*", month_of_year="*", day_of_week="*", timezone="Asia/Shanghai"
    )
    task.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "task": "core.tasks.scheduled_job",
            "crontab": schedule,
            "kwargs": json.dumps({"kind": "audit_verify", "params": {}}),
        },
    )


def reverse(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE_NAME).delete()
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_SEAL_REVERSE, params=None)
        schema_editor.execute(PG_TRIGGER_REVERSE, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_importkey"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain_seq",
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_hash",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="链哈希"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("chain_seq__isnull", True)), fields=["id"], name="auditevent_unsealed_idx"
            ),
        ),
        migrations.RunPython(forward, reverse),
    ]
