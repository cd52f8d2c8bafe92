"""The enrollee-list import as services: create, validate (dry run), confirm, apply, cancel.

validate: stream the file once, check every row in Python, stage the good ones (COPY),
          then check across rows and against the database in SQL. Nothing real is written.
          A big CSV is checked in worker processes, chunk by chunk, merged in file order
          (core.importing.chunks): the same rows and errors as one process gives.
apply:    one transaction of INSERT .. SELECT from staging, so a batch lands whole or not at all.
Both are idempotent: re-running validate rebuilds the same preview; re-running apply after
success changes nothing, and importing the same file again creates nothing new.

Importing a file imported before: a big file's staged rows are kept after its apply (staging_keep),
and the same bytes checked under the same conditions reuse them: the row errors are copied and the
rows compared with the database in one set-based statement (_validate_again). Any person or
enrollment changed since sends the rows through every check, as a new file's.

Statistics (issue 14 point 4): no apply statement reads a table it grows, so a table analyzed while
empty cannot make the planner rescan it per row; the staging table is analyzed once filled.
"""

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import scope_to_user
from core.context import current_ip
from core.failures import failure_text
from core.importing.batches import batch_confirm_and_queue, batch_store_and_queue, import_batch_transition
from core.importing.chunks import PARALLEL_MIN_BYTES, csv_chunks, ordered_map, parallel_csv, worker_count
from core.importing.duplicates import RepeatFilter, duplicates_record
from core.importing.limits import import_limits
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
from .parallel import CheckContext, check_chunk, keys_of
from .rows import EnrolleeRowChecker, repeat_key_id_number
from .staging import (
    analyze_staging,
    analyze_targets,
    big_query_memory,
    clear_staging,
    staged_id_numbers,
    staged_source,
    staging_writer,
)

PROGRESS_EVERY = 20_000
KEEP_STAGED_MIN_ROWS = 10_000  # 可配置默认值 (YIBAO_IMPORT_KEEP_STAGED_MIN_ROWS): smaller files are checked again
KEEP_STAGED_FILES = 3  # 可配置默认值 (YIBAO_IMPORT_KEEP_STAGED_FILES): files whose staged rows a re-import reuses
# enrollment.validators.validate_id_number's refusal of a birth date after the checking day.
BIRTH_OUT_OF_RANGE = "身份证号中的出生日期不在合理范围内"
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
    district_ids = dict(District.objects.values_list("code", "id"))
    today = timezone.localdate()
    row_check = _row_check(batch, district_ids)
    previous = _imported_before(batch, row_check=row_check, today=today)
    if previous is not None:
        return _validate_again(batch, previous, run_id=run_id, row_check=row_check, today=today)
    total = 0
    try:
        with rows:
            checker = EnrolleeRowChecker(
                batch_id=batch.pk,
                district_ids=district_ids,
                allowed_district_ids=None if batch.district_id is None else {batch.district_id},
                positions=rows.positions,
                today=today,
            )
            repeats = RepeatFilter()
            with staging_writer() as writer:
                if parallel_csv(rows.path, rows.original_name, min_bytes=_parallel_min_bytes()):
                    total = _check_in_parallel(batch, rows, checker, writer, repeats, run_id=run_id)
                else:
                    total = _check_in_process(batch, rows, checker, writer, repeats, run_id=run_id)
    except FileProblem as exc:
        clear_staging(batch.pk)
        ImportRowError.objects.filter(batch=batch).delete()
        ImportRowError.objects.create(batch=batch, row_number=1, field="", message=str(exc)[:200])
        return _nothing_to_import(batch, run_id=run_id, problem=str(exc), total=0)
    if not total:
        ImportRowError.objects.create(batch=batch, row_number=1, field="", message=NO_DATA_ROWS[:200])
        return _nothing_to_import(batch, run_id=run_id, problem=NO_DATA_ROWS, total=0)
    analyze_staging()
    with transaction.atomic(), connection.cursor() as cursor:
        big_query_memory()
        # Across rows, in SQL over the staged file: repeats of an earlier row's key first (the
        # floor's check, as for every import), then the checks against the database.
        duplicates_record(
            batch_id=batch.pk,
            importer=ENROLLEES_IMPORTER,
            table=sql.STAGING,
            where="NOT rejected",
            candidates=[repeat_key_id_number(key) for key in repeats.candidates],
        )
        for check in sql.CHECKS:
            cursor.execute(check, params)
        cursor.execute(sql.MARK_REJECTED, params)
        staged = _scalar(sql.COUNT_STAGED, {"source": batch.pk})
    extra = {"staged_rows": staged, "row_check": row_check, "checked_on": today.isoformat()}
    return _validated(batch, total, run_id=run_id, extra=extra)


def _validated(batch: ImportBatch, total: int, *, run_id: int | None, extra: dict[str, Any]) -> dict[str, int]:
    """Count the staged and refused rows, and leave the batch 待确认 with its counts."""
    params = {"batch": batch.pk}
    error_rows = _scalar(sql.COUNT_ERROR_ROWS, params)
    valid = max(total - error_rows, 0) if total else 0
    if extra.get("staged_from"):  # nothing changed: every row not refused is enrolled as the file says
        already, new_persons = valid, 0
    else:
        already, new_persons = _scalar(sql.COUNT_ALREADY_ENROLLED, params), _scalar(sql.COUNT_NEW_PERSONS, params)
    counts = {
        "total_rows": total,
        "valid_rows": valid,
        "error_rows": error_rows,
        "new_persons": new_persons,
        "new_enrollments": valid - already,
        "already_enrolled": already,
        **extra,
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


def _check_in_process(
    batch: ImportBatch, rows: BatchRows, checker: EnrolleeRowChecker, writer, repeats: RepeatFilter, *, run_id
) -> int:
    """Check the rows one by one in this process (XLSX, small files, CSV files with quoted cells)."""
    for row_number, cells in rows:
        good = checker.check(row_number, cells)
        if good is not None:
            writer.write(good)
        if rows.count % PROGRESS_EVERY == 0:
            repeats.add(checker.keys)
            del checker.keys[:]
            with writer.side() as side:
                row_errors_write(batch_id=batch.pk, errors=checker.errors, db=side)
                job_run_progress(run_id=run_id, done=rows.count, db=side)
    repeats.add(checker.keys)
    with writer.side() as side:
        row_errors_write(batch_id=batch.pk, errors=checker.errors, db=side)
    return rows.count


def _check_in_parallel(
    batch: ImportBatch, rows: BatchRows, checker: EnrolleeRowChecker, writer, repeats: RepeatFilter, *, run_id
) -> int:
    """Check a big CSV file's chunks in worker processes (core.importing.chunks), taking their rows and
    errors back in file order: the same staged rows and the same errors as _check_in_process."""
    context = CheckContext(
        batch_id=checker.batch_id,
        district_ids=checker.district_ids,
        allowed_district_ids=checker.allowed,
        positions=rows.positions,
        today=checker.today,
        as_copy_text=writer.streaming,
    )
    total = reported = 0
    chunks = csv_chunks(rows.path, import_limits())
    for result in ordered_map(check_chunk, chunks, context, workers=worker_count()):
        if result.problem:
            raise FileProblem(result.problem)
        total += result.count
        repeats.add(keys_of(result.keys))
        if writer.streaming:
            writer.write_copy_text(result.copy_text)
        else:
            for good in result.rows:
                writer.write(good)
        checker.errors.extend(result.errors)
        if total - reported >= PROGRESS_EVERY:
            reported = total
            with writer.side() as side:
                row_errors_write(batch_id=batch.pk, errors=checker.errors, db=side)
                job_run_progress(run_id=run_id, done=total, db=side)
    with writer.side() as side:
        row_errors_write(batch_id=batch.pk, errors=checker.errors, db=side)
    return total


def _parallel_min_bytes() -> int:
    return int(getattr(settings, "YIBAO_IMPORT_PARALLEL_MIN_BYTES", PARALLEL_MIN_BYTES))


def _row_check(batch: ImportBatch, district_ids: dict[str, int]) -> str:
    """What the per-row checks depended on besides the file and the day: the district codes and the
    uploader's district. An earlier import's row results hold for this batch only if these are equal."""
    given = json.dumps([sorted(district_ids.items()), batch.district_id])
    return hashlib.sha256(given.encode()).hexdigest()[:32]


def _imported_before(batch: ImportBatch, *, row_check: str, today: dt.date) -> ImportBatch | None:
    """The latest imported batch of the same file, checked under the same conditions, whose staged rows
    are still kept (staging_keep); None if there is none (the file is read and checked again)."""
    if connection.vendor != "postgresql":
        return None  # (SQLite: a developer's laptop, the file is simply checked again)
    previous = (
        ImportBatch.objects.filter(
            kind=ImportBatch.Kind.ENROLLEES, status=Status.IMPORTED, sha256=batch.sha256, district_id=batch.district_id
        )
        .exclude(pk=batch.pk)
        .order_by("-pk")
        .first()
    )
    if previous is None:
        return None
    counts = previous.counts or {}
    if counts.get("row_check") != row_check or "staged_rows" not in counts:
        return None
    source = staged_source(counts, previous.pk)
    if _scalar(sql.COUNT_STAGED, {"source": source}) != counts["staged_rows"]:
        return None  # rows given up (staging_keep) or lost in a crash (UNLOGGED)
    checked_on = counts.get("checked_on")
    if checked_on != today.isoformat() and _scalar(
        sql.BIRTH_AFTER_DAY, {"previous": previous.pk, "message": BIRTH_OUT_OF_RANGE}
    ):
        return None  # a birth date refused as after that day may be accepted today
    return previous


def _validate_again(
    batch: ImportBatch, previous: ImportBatch, *, run_id: int | None, row_check: str, today: dt.date
) -> dict[str, int]:
    """The dry run of a file imported before (the same bytes, districts and uploader's district): the
    per-row checks and the repeats in the file gave what they gave then, so their errors are copied; the
    rows staged then are compared with the database as it is now, in one anti-join (sql.CHANGED_SINCE).
    Nothing changed: every other row is enrolled exactly as the file says, nothing would be written, and
    this batch reads the earlier rows in place (counts["staged_from"]); only the repeats are staged, for
    the checks against the database a new file's repeats meet too. Else all the rows are staged for
    this batch and go through every check, as for a new file: the same errors in the same order."""
    source = staged_source(previous.counts, previous.pk)
    before, _, after = ENROLLEES_IMPORTER.duplicate_template.partition("{row}")
    params = {
        "batch": batch.pk,
        "previous": previous.pk,
        "source": source,
        "key_field": ENROLLEES_IMPORTER.key_columns[0],
        "duplicate": f"{before}%{after}",
    }
    extra: dict[str, Any] = {
        "staged_rows": previous.counts["staged_rows"],
        "row_check": row_check,
        "checked_on": today.isoformat(),
        "checked_as": previous.pk,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        big_query_memory()
        cursor.execute(sql.COPY_FILE_ERRORS, params)
        changed = _scalar(sql.CHANGED_SINCE, params)
        # Changed: every staged row; else only the repeats, the rows the comparison left out.
        cursor.execute(sql.COPY_STAGED if changed else sql.COPY_STAGED_REPEATS, params)
        for check in sql.CHECKS:
            cursor.execute(check, params)
        cursor.execute(sql.MARK_REJECTED, params)
        if not changed:
            extra["staged_from"] = source
    if "staged_from" not in extra:
        analyze_staging()
    return _validated(batch, previous.total_rows, run_id=run_id, extra=extra)


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
    with transaction.atomic():
        counts = _apply_in_transaction(batch_id=batch_id, run_id=run_id)
    if "created_enrollments" in counts and not counts.get("applied_before"):
        # After the commit: the staged rows are kept for a re-import of the same file, or deleted;
        # the tables the apply grew are analyzed.
        job_run_progress(run_id=run_id, done=2, total=3)
        if not counts.get("staging_kept"):
            clear_staging(batch_id)  # (a batch that read an earlier one's rows staged only its repeats)
        staging_keep()
        analyze_targets(added=counts["created_persons"] + counts["created_enrollments"])
        job_run_progress(run_id=run_id, done=3, total=3)
    counts.pop("applied_before", None)
    return counts


def _apply_in_transaction(*, batch_id: int, run_id: int | None) -> dict[str, int]:
    params = {"batch": batch_id, "now": timezone.now()}
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status == Status.IMPORTED:
        return {**batch.counts, "applied_before": True}  # a repeated delivery of the task
    if batch.status != Status.IMPORTING:
        raise ValidationError({"status": f"导入批次当前状态为“{batch.get_status_display()}”，不能导入"})
    params["start"] = batch.effective_date
    big_query_memory()
    source = staged_source(batch.counts, batch_id)
    if source != batch_id:
        # Checked as unchanged since an earlier import of the same file: still so, nothing to write.
        params["source"] = source
        if _scalar(sql.COUNT_STAGED, params) != batch.counts.get("staged_rows"):
            raise StagingLost
        if not _scalar(sql.CHANGED_SINCE, params):
            return _applied(batch, params, run_id=run_id, persons=0, enrollments=0, moved=0, changed=0)
        clear_staging(batch_id)  # the repeats staged in the preview: all rows are staged again
        with connection.cursor() as cursor:  # it changed since the preview: stage and check as usual
            cursor.execute(sql.COPY_STAGED, params)
            cursor.execute(sql.MARK_REJECTED, params)
        batch.counts = {key: value for key, value in batch.counts.items() if key != "staged_from"}
        ImportBatch.objects.filter(pk=batch_id).update(counts=batch.counts)
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
    batch.error_rows, batch.valid_rows = error_rows, valid_rows
    return _applied(
        batch, params, run_id=run_id, persons=persons, enrollments=enrollments, moved=moved, changed=changed
    )


def _applied(batch: ImportBatch, params: dict[str, Any], *, run_id: int | None, **done: int) -> dict[str, int]:
    """In the apply's transaction: the batch is 已导入 with what was written. A big file's staged rows
    will be kept for a re-import of the same file (staging_keep); a small file is checked again quickly."""
    counts = {
        **batch.counts,
        "created_persons": done["persons"],
        "created_enrollments": done["enrollments"],
        "moved_persons": done["moved"],
        "changed_since_preview": done["changed"],
        "skipped_already_enrolled": batch.valid_rows - done["enrollments"],
    }
    if staged_source(batch.counts, batch.pk) == batch.pk and batch.counts.get("staged_rows", 0) >= _keep_min_rows():
        counts["staging_kept"] = True
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.IMPORTED,
        counts=counts,
        error_rows=batch.error_rows,
        valid_rows=batch.valid_rows,
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
    return counts


def _keep_min_rows() -> int:
    return int(getattr(settings, "YIBAO_IMPORT_KEEP_STAGED_MIN_ROWS", KEEP_STAGED_MIN_ROWS))


def staging_keep(keep: int | None = None) -> int:
    """Keep the staged rows of the latest `keep` imported files (可配置默认值 YIBAO_IMPORT_KEEP_STAGED_FILES,
    3) for a re-import of the same file, and any an unfinished batch reads in place; delete the older
    ones' rows. How many batches' rows were deleted."""
    keep = int(getattr(settings, "YIBAO_IMPORT_KEEP_STAGED_FILES", KEEP_STAGED_FILES)) if keep is None else keep
    imported = ImportBatch.objects.filter(kind=ImportBatch.Kind.ENROLLEES, status=Status.IMPORTED)
    kept = imported.filter(counts__staging_kept=True)
    newest = {staged_source(c, pk) for pk, c in imported.order_by("-pk").values_list("pk", "counts")[:keep]}
    in_use = {
        staged_source(c, pk)
        for pk, c in ImportBatch.objects.filter(
            kind=ImportBatch.Kind.ENROLLEES, status__in=[Status.VALIDATING, Status.VALIDATED, Status.IMPORTING]
        ).values_list("pk", "counts")
    }
    dropped = [pk for pk in kept.values_list("pk", flat=True) if pk not in newest | in_use]
    for pk in dropped:
        clear_staging(pk)
        batch = ImportBatch.objects.get(pk=pk)
        ImportBatch.objects.filter(pk=pk).update(counts={**batch.counts, "staging_kept": False})
    return len(dropped)


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
    id_numbers = staged_id_numbers(batch_id=staged_source(batch.counts, batch.pk), row_numbers=row_numbers)
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
