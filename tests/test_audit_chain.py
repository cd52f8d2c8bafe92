"""Tamper evidence: every audit event is chained by hash to the one before; audit_verify and the nightly
job name the first broken link. Runs on SQLite and PostgreSQL (as the runtime role, with two roles)."""

import datetime as dt
import io
import threading
from importlib import import_module

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.audit_chain import CHAINED_FIELDS, audit_chain_seal, audit_chain_verify, event_digest
from core.jobs import job_run_execute
from core.models import AuditEvent, JobRun
from core.services import audit_event_record, job_run_create

TRIGGERS_OFF = {
    "postgresql": ["ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_update_delete"],
    "sqlite": ["DROP TRIGGER core_auditevent_no_update", "DROP TRIGGER core_auditevent_no_delete"],
}


def _tamper(owner_db, sql: str, params: list) -> None:
    """What an owner or DBA can do around the trigger: switch it off, change a row, switch it back on."""
    with owner_db.cursor() as cursor:
        for statement in TRIGGERS_OFF[owner_db.vendor]:
            cursor.execute(statement)
        cursor.execute(sql, params)
        if owner_db.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_no_update_delete")
        else:
            for statement in import_module("core.migrations.0005_audit_chain").SQLITE_FORWARD:
                cursor.execute(statement)


def _events(n: int, *, note: str = "") -> list[AuditEvent]:
    return [
        audit_event_record(
            actor=None,
            action=AuditEvent.Action.UPDATE,
            object_type="enrollment.person",
            object_id=i,
            new_values={"name": f"参保人{i}", "amount": "12.30"},
            note=note,
        )  # fmt: skip
        for i in range(n)
    ]


@pytest.mark.django_db(transaction=True)
def test_events_are_sealed_after_commit_and_the_chain_holds(districts):
    events = _events(5)
    sealed = list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("chain_seq"))
    assert all(e.chain_seq is not None and len(e.chain_hash) == 64 for e in sealed)
    seqs = [e.chain_seq for e in sealed]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    # Each hash covers the previous one: recompute the last link by hand.
    before = AuditEvent.objects.get(chain_seq=seqs[-1] - 1)
    row = AuditEvent.objects.filter(pk=sealed[-1].pk).values(*CHAINED_FIELDS)[0]
    assert event_digest(previous=before.chain_hash, chain_seq=seqs[-1], row=row) == sealed[-1].chain_hash
    report = audit_chain_verify()
    assert report.broken is None and report.checked == AuditEvent.objects.count() and report.unsealed == 0
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert f"{report.checked} events checked" in out.getvalue()


@pytest.mark.django_db
def test_one_transaction_seals_once_on_commit(districts):
    with transaction.atomic():
        _events(3)
        assert AuditEvent.objects.filter(chain_seq__isnull=True).count() >= 3
    # pytest-django's db fixture keeps the outer transaction open: seal by hand as the commit would.
    assert audit_chain_seal() == AuditEvent.objects.count()
    assert audit_chain_seal() == 0


@pytest.mark.django_db(transaction=True)
def test_the_trigger_refuses_changes_to_a_sealed_event_even_for_the_chain_columns(districts, owner_db):
    (event,) = _events(1)
    audit_chain_seal()
    event.refresh_from_db()
    for sql in (
        "UPDATE core_auditevent SET note = 'x' WHERE id = %s",
        "UPDATE core_auditevent SET chain_hash = 'x', chain_seq = 999999 WHERE id = %s",
        "UPDATE core_auditevent SET chain_seq = NULL WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), owner_db.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).chain_hash == event.chain_hash


@pytest.mark.django_db(transaction=True)
def test_a_row_altered_by_the_owner_is_named_by_audit_verify_and_the_nightly_job(
    districts, owner_db, municipal_admin, client_for
):
    events = _events(6)
    victim = AuditEvent.objects.get(pk=events[3].pk)
    _tamper(owner_db, "UPDATE core_auditevent SET note = %s WHERE id = %s", ["改过了", victim.pk])
    assert AuditEvent.objects.get(pk=victim.pk).note == "改过了"  # the change is really there

    with pytest.raises(CommandError) as caught:
        call_command("audit_verify")
    message = str(caught.value)
    assert f"事件编号 {victim.pk}" in message
    assert victim.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") in message
    assert "被改动" in message

    # The nightly job: a failed run whose message names the link, shown to administrators.
    run = job_run_create(actor=None, kind="audit_verify")
    with pytest.raises(Exception):  # noqa: B017,PT011  (the runner re-raises what failed the job)
        job_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED
    assert f"事件编号 {victim.pk}" in run.error and "错误编号" not in run.error
    client = client_for(municipal_admin)
    assert "近 7 天失败的批处理" in client.get("/").content.decode()
    detail = client.get(f"/jobs/{run.pk}/").content.decode()
    assert f"事件编号 {victim.pk}" in detail


@pytest.mark.django_db(transaction=True)
def test_a_deleted_event_breaks_the_chain(districts, owner_db):
    events = _events(4)
    gone = AuditEvent.objects.get(pk=events[1].pk)
    _tamper(owner_db, "DELETE FROM core_auditevent WHERE id = %s", [gone.pk])
    report = audit_chain_verify()
    assert report.broken is not None
    assert report.broken.event_id == events[2].pk
    assert f"缺少第 {gone.chain_seq} 环" in report.broken.reason


@pytest.mark.django_db(transaction=True)
def test_deleting_the_newest_events_is_caught_against_the_last_nightly_check(districts, owner_db):
    _events(3)
    first = job_run_execute(run_id=job_run_create(actor=None, kind="audit_verify").pk)
    assert first.status == JobRun.Status.SUCCEEDED
    length = first.counts["chain_length"]
    assert (
        length == AuditEvent.objects.filter(chain_seq__isnull=False).count()
        and first.counts["checked_events"] == length
    )
    # The tail goes (the verify job's own audit event, sealed after it, goes with it).
    _tamper(owner_db, "DELETE FROM core_auditevent WHERE chain_seq >= %s", [length - 1])
    second = job_run_create(actor=None, kind="audit_verify")
    with pytest.raises(Exception):  # noqa: B017,PT011
        job_run_execute(run_id=second.pk)
    second.refresh_from_db()
    assert second.status == JobRun.Status.FAILED and "最新的事件被删除" in second.error


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain(districts):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with transaction.atomic():
                    audit_event_record(
                        actor=None, action=AuditEvent.Action.CREATE, object_type="t", object_id=n * 100 + i
                    )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=[n]) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    audit_chain_seal()
    report = audit_chain_verify()
    assert report.broken is None
    assert AuditEvent.objects.filter(object_type="t").count() == 120
    assert report.checked == AuditEvent.objects.count() and report.unsealed == 0


@pytest.mark.django_db
def test_nightly_check_is_scheduled_and_housekeeping_keeps_old_events(districts):
    task = PeriodicTask.objects.get(name__contains="audit chain check")
    assert task.task == "core.tasks.scheduled_job" and '"audit_verify"' in task.kwargs and task.enabled
    old = AuditEvent.objects.create(action=AuditEvent.Action.LOGIN, occurred_at=timezone.now() - dt.timedelta(days=400))
    run = job_run_execute(run_id=job_run_create(actor=None, kind="housekeeping").pk)
    assert run.status == JobRun.Status.SUCCEEDED
    assert AuditEvent.objects.filter(pk=old.pk).exists()
