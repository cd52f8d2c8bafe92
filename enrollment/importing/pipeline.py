"""The enrollee-list import as services: create, validate (dry run), confirm, apply, cancel.

validate: stream the file once, check every row in Python, stage the good ones (COPY),
          then check across rows and against the database in SQL. Nothing real is written.
apply:    one transaction of INSERT .. SELECT from staging, so a batch lands whole or not at all.
Both are idempotent: re-running validate rebuilds the same preview; re-running apply after
success changes nothing, and importing the same file again creates nothing new.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import scope_to_user
from core.context import current_ip
from core.failures import failure_text
from core.importing.batches import batch_confirm_and_queue, batch_store_and_queue, import_batch_transition
from core.importing.duplicates import duplicates_record
from core.importing.reader import FileProblem
from core.importing.registry import Importer
from core.importing.rowfile import NO_DATA_ROWS
from core.importing.rows import BatchRows, row_errors_write
from core.models import AuditEvent, District, ImportBatch, ImportRowError, JobRun, User
from core.scope import require_edit_for_scope
from core.services import audit_event_record, job_run_create, job_run_progress
from core.tasks import enqueue_job
from enrollment.models import Person

from . import sql
from .columns import HEADERS, REQUIRED_HEADERS
from .rows import EnrolleeRowChecker
from .staging import (
    analyze_staging,
    analyze_targets,
    big_query_memory,
    clear_staging,
    staged_id_numbers,
    staging_writer,
)

PROGRESS_EVERY = 20_000
Status = ImportBatch.Status


@transaction.atomic
def import_batch_create(
    *,
    actor: User | None,
    fileobj: Any,
    original_name: str,
    district_id: int | None,
    mode: str,
    effective_date: dt.date,
    inline: bool = False,
) -> ImportBatch:
    """Store an uploaded enrollee list and queue its validation (the dry run)."""
    if effective_date is None:
        raise ValidationError({"effective_date": "请填写参保开始日期"})
    return batch_store_and_queue(
        actor=actor,
        kind=ImportBatch.Kind.ENROLLEES,
        job_kind="import_validate",
        fileobj=fileobj,
        original_name=original_name,
        district_id=district_id,
        mode=mode,
        effective_date=effective_date,
        inline=inline,
    )


def _scalar(query: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def import_batch_validate(*, batch_id: int, run_id: int | None = None) -> dict[str, int]:
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status == Status.VALIDATED:
        return batch.counts  # a repeated delivery of the task
    import_batch_transition(batch, Status.VALIDATING)
    try:
        counts = _validate(batch, run_id=run_id)
    except Exception as exc:
        error = failure_text(exc, context=f"import batch {batch.pk}")
        ImportBatch.objects.filter(pk=batch.pk).update(status=Status.FAILED, error=error)
        raise
    return counts


def _validate(batch: ImportBatch, *, run_id: int | None) -> dict[str, int]:
    clear_staging(batch.pk)
    ImportRowError.objects.filter(batch=batch).delete()
    rows = BatchRows(batch, ENROLLEES_IMPORTER)
    if run_id:  # the estimate reads the whole file: only for a progress bar someone watches
        job_run_progress(run_id=run_id, done=0, total=rows.estimate())
    params = {"batch": batch.pk}
    total = 0
    try:
        with rows:
            checker = EnrolleeRowChecker(
                batch_id=batch.pk,
                district_ids=dict(District.objects.values_list("code", "id")),
                allowed_district_ids=None if batch.district_id is None else {batch.district_id},
                positions=rows.positions,
                today=timezone.localdate(),
            )
            with staging_writer() as writer:
                for row_number, cells in rows:
                    good = checker.check(row_number, cells)
                    if good is not None:
                        writer.write(good)
                    if rows.count % PROGRESS_EVERY == 0:
                        with writer.side() as side:
                            row_errors_write(batch_id=batch.pk, errors=checker.errors, db=side)
                            job_run_progress(run_id=run_id, done=rows.count, db=side)
                with writer.side() as side:
                    row_errors_write(batch_id=batch.pk, errors=checker.errors, db=side)
        total = rows.count
    except FileProblem as exc:
        clear_staging(batch.pk)
        ImportRowError.objects.filter(batch=batch).delete()
        ImportRowError.objects.create(batch=batch, row_number=1, field="", message=str(exc)[:200])
        return _nothing_to_import(batch, run_id=run_id, problem=str(exc), total=total)
    if not total:
        ImportRowError.objects.create(batch=batch, row_number=1, field="", message=NO_DATA_ROWS[:200])
        return _nothing_to_import(batch, run_id=run_id, problem=NO_DATA_ROWS, total=0)
    analyze_staging()
    with transaction.atomic(), connection.cursor() as cursor:
        big_query_memory()
        # Across rows, in SQL over the staged file: repeats of an earlier row's key first (the
        # floor's check, as for every import), then the checks against the database.
        duplicates_record(batch_id=batch.pk, importer=ENROLLEES_IMPORTER, table=sql.STAGING, where="NOT rejected")
        for check in sql.CHECKS:
            cursor.execute(check, params)
        cursor.execute(sql.MARK_REJECTED, params)
    error_rows = _scalar(sql.COUNT_ERROR_ROWS, params)
    valid = max(total - error_rows, 0) if total else 0
    already = _scalar(sql.COUNT_ALREADY_ENROLLED, params)
    counts = {
        "total_rows": total,
        "valid_rows": valid,
        "error_rows": error_rows,
        "new_persons": _scalar(sql.COUNT_NEW_PERSONS, params),
        "new_enrollments": valid - already,
        "already_enrolled": already,
    }
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.VALIDATED,
        total_rows=total,
        valid_rows=valid,
        error_rows=error_rows,
        counts=counts,
        updated_at=timezone.now(),
    )
    job_run_progress(run_id=run_id, done=total, total=total)
    return counts


def _nothing_to_import(batch: ImportBatch, *, run_id: int | None, problem: str, total: int) -> dict[str, int]:
    """The file cannot be read, or has no data rows: the batch ends 已拒绝 with the reason, nothing to confirm."""
    counts = {"total_rows": total, "valid_rows": 0, "error_rows": 1}
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.REJECTED,
        total_rows=total,
        valid_rows=0,
        error_rows=1,
        counts=counts,
        error=problem,
        updated_at=timezone.now(),
    )
    audit_event_record(
        actor=batch.uploaded_by,
        action=AuditEvent.Action.STATUS,
        obj=batch,
        new_values={"status": Status.REJECTED},
        note=problem[:500],
    )
    job_run_progress(run_id=run_id, done=total, total=total)
    return counts


def import_batch_confirm(*, actor: User | None, batch: ImportBatch, inline: bool = False) -> JobRun:
    """Staff looked at the preview and confirm: queue the apply."""
    return batch_confirm_and_queue(actor=actor, batch=batch, job_kind="import_apply", inline=inline)


class StagingLost(Exception):
    """The staged rows are gone (UNLOGGED tables are emptied by crash recovery)."""


def import_batch_apply(*, batch_id: int, run_id: int | None = None) -> dict[str, int]:
    """Apply a confirmed batch in one transaction; on any failure the batch is FAILED, never stuck."""
    try:
        return _apply(batch_id=batch_id, run_id=run_id)
    except StagingLost:
        ImportBatch.objects.filter(pk=batch_id, status=Status.IMPORTING).update(
            status=Status.FAILED, error="暂存数据已丢失（如数据库曾重启），未导入任何数据；请点“重新校验”。"
        )
        return {}
    except ValidationError:
        raise  # the batch was not in a state to apply; nothing to mark
    except Exception as exc:
        ImportBatch.objects.filter(pk=batch_id, status=Status.IMPORTING).update(
            status=Status.FAILED, error=failure_text(exc, context=f"import batch {batch_id}")
        )
        raise


def _apply(*, batch_id: int, run_id: int | None) -> dict[str, int]:
    params = {"batch": batch_id, "now": timezone.now()}
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status == Status.IMPORTED:
            return batch.counts  # a repeated delivery of the task
        if batch.status != Status.IMPORTING:
            raise ValidationError({"status": f"导入批次当前状态为“{batch.get_status_display()}”，不能导入"})
        params["start"] = batch.effective_date
        big_query_memory()
        staged = _scalar(sql.COUNT_STAGED_VALID, params)
        if staged != batch.valid_rows:
            raise StagingLost
        # The preview may be days old: check again against the database as it is now.
        with connection.cursor() as cursor:
            for check in sql.CHECKS:
                cursor.execute(check, params)
            cursor.execute(sql.MARK_REJECTED, params)
        changed = staged - _scalar(sql.COUNT_STAGED_VALID, params)
        error_rows = _scalar(sql.COUNT_ERROR_ROWS, params) if changed else batch.error_rows
        valid_rows = batch.total_rows - error_rows
        if changed and batch.mode == ImportBatch.Mode.ATOMIC:
            ImportBatch.objects.filter(pk=batch_id).update(
                status=Status.VALIDATED, error_rows=error_rows, valid_rows=valid_rows, updated_at=params["now"]
            )
            audit_event_record(
                actor=batch.confirmed_by,
                action=AuditEvent.Action.STATUS,
                obj=batch,
                old_values={"status": Status.IMPORTING},
                new_values={"status": Status.VALIDATED, "error_rows": error_rows},
                note=f"导入前复核：{changed} 行数据自校验后已变化，整批未导入",
            )
            return {"changed_since_preview": changed}
        with connection.cursor() as cursor:
            # Move returning people first, so the join only meets people who existed before.
            cursor.execute(sql.MOVING_PERSONS, params)
            moves = cursor.fetchall()
            cursor.execute(sql.MOVE_PERSONS, params)
            moved = cursor.rowcount
            _audit_moves(batch, moves)
            cursor.execute(sql.INSERT_PERSONS, params)
            persons = cursor.rowcount
            job_run_progress(run_id=run_id, done=1, total=3)
            cursor.execute(sql.INSERT_ENROLLMENTS, params)
            enrollments = cursor.rowcount
        counts = {
            **batch.counts,
            "created_persons": persons,
            "created_enrollments": enrollments,
            "moved_persons": moved,
            "changed_since_preview": changed,
            "skipped_already_enrolled": valid_rows - enrollments,
        }
        ImportBatch.objects.filter(pk=batch_id).update(
            status=Status.IMPORTED,
            counts=counts,
            error_rows=error_rows,
            valid_rows=valid_rows,
            updated_at=params["now"],
        )
        audit_event_record(
            actor=batch.confirmed_by,
            action=AuditEvent.Action.IMPORT,
            obj=batch,
            old_values={"status": Status.IMPORTING},
            new_values={"status": Status.IMPORTED, **counts},
            note="导入的参保登记以 import_batch_id 关联本批次",
        )
    job_run_progress(run_id=run_id, done=2, total=3)
    clear_staging(batch_id)
    analyze_targets()
    job_run_progress(run_id=run_id, done=3, total=3)
    return counts


def _audit_moves(batch: ImportBatch, moves: list[tuple[int, int, int]]) -> None:
    """One audit event per person the import moved to another district (people coming back, usually few)."""
    actor = batch.confirmed_by
    events = [
        AuditEvent(
            actor=actor,
            actor_username=actor.get_username() if actor else "",
            action=AuditEvent.Action.UPDATE,
            object_type="enrollment.person",
            object_id=str(person_id),
            district_id=old,
            old_values={"district_id": old},
            new_values={"district_id": new},
            ip_address=current_ip.get(),
            note=f"批量导入 #{batch.pk}",
        )
        for person_id, old, new in moves
    ]
    AuditEvent.objects.bulk_create(events, batch_size=5000)


def import_batch_revalidate(*, actor: User | None, batch: ImportBatch, inline: bool = False) -> JobRun:
    """Run the dry run again for a FAILED batch (e.g. staging lost, or a worker error)."""
    require_edit_for_scope(actor=actor, district_id=batch.district_id)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != Status.FAILED or batch.kind != ImportBatch.Kind.ENROLLEES:
            raise ValidationError({"status": f"导入批次当前状态为“{batch.get_status_display()}”，不能重新校验"})
        run = job_run_create(
            actor=actor, kind="import_validate", params={"batch_id": batch.pk}, district_id=batch.district_id
        )
        ImportBatch.objects.filter(pk=batch.pk).update(job_run=run, error="")
        enqueue_job(run, inline=inline)
    return run


def enrollee_row_links(*, batch: ImportBatch, row_numbers: list[int], user: Any) -> dict[int, str]:
    """Refused rows naming a person already registered (重复参保, another name, registered dead): a link to
    that person's page, for the people `user` may see (a person of another district gets no link).
    The ID numbers are read from the staged rows, which live until the batch is imported or cancelled."""
    if not row_numbers:
        return {}
    id_numbers = staged_id_numbers(batch_id=batch.pk, row_numbers=row_numbers)
    if not id_numbers:
        return {}
    people = dict(
        scope_to_user(Person.objects.filter(id_number__in=set(id_numbers.values())), user=user).values_list(
            "id_number", "pk"
        )
    )
    return {
        row: reverse("enrollment:person_detail", args=[people[id_number]])
        for row, id_number in id_numbers.items()
        if id_number in people
    }


def import_validate_job(*, run_id: int, batch_id: int) -> dict[str, int]:
    return import_batch_validate(batch_id=batch_id, run_id=run_id)


# What the apply did (the batch keeps the preview's counts beside them; the job record shows these).
APPLY_COUNTS = (
    "created_persons",
    "created_enrollments",
    "moved_persons",
    "skipped_already_enrolled",
    "changed_since_preview",
)


def import_apply_job(*, run_id: int, batch_id: int) -> dict[str, int]:
    counts = import_batch_apply(batch_id=batch_id, run_id=run_id)
    return {key: counts[key] for key in APPLY_COUNTS if key in counts}


ENROLLEES_IMPORTER = Importer(
    kind=ImportBatch.Kind.ENROLLEES,
    label=_("参保人员名单"),
    headers=HEADERS,
    required=REQUIRED_HEADERS,
    key_columns=("身份证号",),
    create=import_batch_create,
    confirm=import_batch_confirm,
    revalidate=import_batch_revalidate,
    on_cancel=clear_staging,
    options=("effective_date",),
    row_links=enrollee_row_links,
    example=("张三", "11010519491231002X", "女", "1949-12-31", "500103", "居民医保", "成年居民", "一档", "", "", ""),
)
