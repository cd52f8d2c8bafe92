"""The checked row-file import shared by the payment (缴费记录) and aid-recipient (医疗救助对象) lists.

A batch reads its file row by row, checks each row (refusals become ImportRowErrors with the row, field
and value), and applies the good rows chunk by chunk:
* 逐行 (per_row): each chunk commits on its own with its row errors, so a big file shows progress and a
  crash keeps what was done (re-running adds nothing: each import is idempotent on its own key).
* 整批 (atomic): one transaction; one refused row rolls the whole file back, and the errors are kept.
The batch's status, counts and the audit event are written in one transaction at the end.
"""

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..failures import failure_text
from ..models import AuditEvent, ImportBatch, ImportRowError
from ..services import audit_event_record, job_run_progress
from .batches import import_batch_transition
from .duplicates import duplicates_refuse, import_keys_clear
from .reader import FileProblem
from .registry import importer_for
from .rows import BatchRows, RowError, row_errors_write

Status = ImportBatch.Status
CHUNK = 5000
# check_row(row_number, cells, header positions, errors) -> the checked row to apply, or None (refused).
# A checked row has `row_number` and the importer's key fields as attributes (a NamedTuple, say).
CheckRow = Callable[[int, list[str], dict[str, int], list[RowError]], Any]
# apply_chunk(good rows, errors): applies them and may refuse more (appended to errors)
ApplyChunk = Callable[[list, list[RowError]], None]


class _AtomicRollback(Exception):
    pass


NO_DATA_ROWS = "文件中没有数据行（只有表头），没有可导入的内容"


def row_file_apply(
    *,
    batch: ImportBatch,
    run_id: int | None,
    check_row: CheckRow,
    apply_chunk: ApplyChunk,
    counts: dict[str, int],
    written: tuple[str, ...],
    preview: bool = False,
) -> tuple[dict[str, int], int, str, str]:
    """Read, check and apply the batch's file; (counts, error rows, final status, file problem).

    The columns, key columns and duplicate message are the batch's registered Importer's. Each chunk
    of checked rows loses its repeats of earlier rows (duplicates.py) before apply_chunk sees it.
    `counts` (with "total_rows") is counted in place, by this loop and by apply_chunk; `written` names
    the counts that an atomic rollback sets back to 0.

    `preview`: the check before staff confirm (待确认). apply_chunk must then write nothing (it counts
    what it would write); the row errors are kept chunk by chunk and the batch ends VALIDATED, or
    REJECTED when the file cannot be read or has no data rows (nothing to confirm)."""
    importer = importer_for(batch.kind)
    rows = BatchRows(batch, importer)
    if run_id:  # the estimate reads the whole file: only for a progress bar someone watches
        job_run_progress(run_id=run_id, done=0, total=rows.estimate())
    errors: list[RowError] = []
    error_row_numbers: set[int] = set()
    atomic = batch.mode == ImportBatch.Mode.ATOMIC and not preview

    def apply(chunk: list) -> None:
        with transaction.atomic():
            fresh = duplicates_refuse(batch_id=batch.pk, importer=importer, rows=chunk, errors=errors)
            apply_chunk(fresh, errors)
            error_row_numbers.update(e[0] for e in errors)
            if not atomic:
                row_errors_write(batch_id=batch.pk, errors=errors)
        chunk.clear()

    problem = ""
    try:
        with transaction.atomic() if atomic else nullcontext(), rows:
            chunk: list = []
            for row_number, cells in rows:
                counts["total_rows"] += 1
                good = check_row(row_number, cells, rows.positions, errors)
                if good is not None:
                    chunk.append(good)
                if len(chunk) >= CHUNK:
                    apply(chunk)
                    job_run_progress(run_id=run_id, done=counts["total_rows"])
            apply(chunk)
            if atomic and errors:
                raise _AtomicRollback
    except _AtomicRollback:
        counts.update(dict.fromkeys(written, 0))
    except FileProblem as exc:
        problem = f"{exc}（读到第{counts['total_rows'] + 1}行）"
        if atomic:
            counts.update(dict.fromkeys(written, 0))
    if not problem and not counts["total_rows"]:
        problem = NO_DATA_ROWS
    if atomic:
        row_errors_write(batch_id=batch.pk, errors=errors)
    if problem:
        final = Status.REJECTED if atomic or preview or problem == NO_DATA_ROWS else Status.FAILED
    elif preview:
        final = Status.VALIDATED
    else:
        final = Status.REJECTED if atomic and error_row_numbers else Status.IMPORTED
    return counts, len(error_row_numbers), final, problem


RUN, PREVIEW, APPLY = "run", "preview", "apply"


def row_file_batch_run(
    *,
    batch_id: int,
    run: Callable[[ImportBatch], tuple[dict[str, int], int, str, str]],
    note: str,
    keep: tuple[str, ...] = (),
    step: str = RUN,
) -> dict[str, Any]:
    """Run a queued batch once: `run(batch)` is its row_file_apply; status, counts and audit at the end.

    `step`: RUN checks and applies in one go (uploaded -> imported); PREVIEW checks and stops at 待确认
    (run must pass preview=True); APPLY applies a batch staff confirmed (importing -> imported), checking
    every row again, as the data may have changed since the preview: in 整批 mode a row refused now sends
    the batch back to 待确认 with its errors, and nothing is written.
    A repeated delivery of the task finds the batch finished and returns its counts. `keep` names the
    batch's own counts (e.g. the upload's choices) stored again beside the run's."""
    batch = ImportBatch.objects.get(pk=batch_id)
    finished = {Status.IMPORTED, Status.REJECTED} | ({Status.VALIDATED} if step == PREVIEW else set())
    if batch.status in finished:
        return batch.counts
    if step == APPLY:
        if batch.status != Status.IMPORTING:
            raise ValidationError({"status": f"导入批次当前状态为“{batch.get_status_display()}”，不能导入"})
    elif batch.status != Status.VALIDATING:
        import_batch_transition(batch, Status.VALIDATING)
    ImportRowError.objects.filter(batch=batch).delete()
    kept = {key: (batch.counts or {})[key] for key in keep if key in (batch.counts or {})}
    import_keys_clear(batch.pk)  # what a killed earlier run staged: this run stages every key again
    try:
        counts, error_rows, final, problem = run(batch)
    except Exception as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=Status.FAILED, error=failure_text(exc, context=f"import batch {batch.pk}")
        )
        raise
    finally:
        import_keys_clear(batch.pk)
    actor, action = batch.uploaded_by, AuditEvent.Action.IMPORT
    if step == PREVIEW:
        action, note = AuditEvent.Action.STATUS, "校验完成，未写入数据，待确认导入"
    elif step == APPLY:
        actor = batch.confirmed_by
        if final == Status.REJECTED and not problem:  # 整批: rows changed since the preview
            final, note = Status.VALIDATED, f"导入前复核：{error_rows} 行未通过，整批未导入"
        elif problem:
            final = Status.FAILED
    with transaction.atomic():
        if problem:
            ImportRowError.objects.create(batch=batch, row_number=1, field="", message=problem[:200])
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=final,
            total_rows=counts["total_rows"],
            valid_rows=counts["total_rows"] - error_rows,
            error_rows=error_rows,
            counts={**counts, **kept},
            error=problem,
            updated_at=timezone.now(),
        )
        audit_event_record(
            actor=actor,
            action=action,
            obj=batch,
            new_values={"status": final, **counts, "error_rows": error_rows},
            note=note,
        )
    return counts
