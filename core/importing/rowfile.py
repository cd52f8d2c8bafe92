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
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.importing.batches import import_batch_transition
from core.importing.reader import (
    FileProblem,
    count_data_rows,
    header_index,
    iter_rows,
)
from core.models import AuditEvent, ImportBatch, ImportRowError
from core.services import audit_event_record, job_run_progress

Status = ImportBatch.Status
CHUNK = 5000
# check_row(row_number, cells, header positions, errors) -> the row to apply, or None (refused)
CheckRow = Callable[[int, list[str], dict[str, int], list], Any]
# apply_chunk(good rows, errors): applies them and may refuse more (appended to errors)
ApplyChunk = Callable[[list, list], None]


class _AtomicRollback(Exception):
    pass


def _write_errors(batch: ImportBatch, errors: list) -> None:
    ImportRowError.objects.bulk_create(
        [ImportRowError(batch=batch, row_number=r, field=f, value=v[:100], message=m[:200]) for r, f, v, m in errors],
        batch_size=5000,
    )
    errors.clear()


def row_file_apply(
    *,
    batch: ImportBatch,
    run_id: int | None,
    headers: dict,
    required: Any,
    check_row: CheckRow,
    apply_chunk: ApplyChunk,
    counts: dict[str, int],
    written: tuple[str, ...],
) -> tuple[dict[str, int], int, str, str]:
    """Read, check and apply the batch's file; (counts, error rows, final status, file problem).

    `counts` (with "total_rows") is counted in place, by this loop and by apply_chunk; `written` names
    the counts that an atomic rollback sets back to 0."""
    path = Path(batch.file.path)
    if run_id:
        job_run_progress(run_id=run_id, done=0, total=count_data_rows(path, batch.original_name))
    errors: list[tuple[int, str, str, str]] = []
    error_row_numbers: set[int] = set()
    atomic = batch.mode == ImportBatch.Mode.ATOMIC

    def apply(chunk: list) -> None:
        with transaction.atomic():
            apply_chunk(chunk, errors)
            error_row_numbers.update(e[0] for e in errors)
            if not atomic:
                _write_errors(batch, errors)
        chunk.clear()

    problem = ""
    try:
        with transaction.atomic() if atomic else nullcontext():
            rows = iter_rows(path, batch.original_name)
            header = next(rows, None)
            if header is None:
                raise FileProblem("文件为空")
            positions = header_index(header, headers, required)
            chunk: list = []
            for row_number, cells in enumerate(rows, start=2):
                if not any(cells):
                    continue
                counts["total_rows"] += 1
                good = check_row(row_number, cells, positions, errors)
                if good is not None:
                    chunk.append(good)
                if len(chunk) >= CHUNK:
                    apply(chunk)
                    if run_id:
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
    if atomic:
        _write_errors(batch, errors)
    if problem:
        final = Status.REJECTED if atomic else Status.FAILED
    else:
        final = Status.REJECTED if atomic and error_row_numbers else Status.IMPORTED
    return counts, len(error_row_numbers), final, problem


def row_file_batch_run(
    *,
    batch_id: int,
    run: Callable[[ImportBatch], tuple[dict[str, int], int, str, str]],
    note: str,
    keep: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run a queued batch once: `run(batch)` is its row_file_apply; status, counts and audit at the end.

    A repeated delivery of the task finds the batch finished and returns its counts. `keep` names the
    batch's own counts (e.g. the upload's choices) stored again beside the run's."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status in (Status.IMPORTED, Status.REJECTED):
        return batch.counts
    if batch.status != Status.VALIDATING:
        import_batch_transition(batch, Status.VALIDATING)
    ImportRowError.objects.filter(batch=batch).delete()
    kept = {key: (batch.counts or {})[key] for key in keep if key in (batch.counts or {})}
    try:
        counts, error_rows, final, problem = run(batch)
    except Exception as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(status=Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
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
            actor=batch.uploaded_by,
            action=AuditEvent.Action.IMPORT,
            obj=batch,
            new_values={"status": final, **counts, "error_rows": error_rows},
            note=note,
        )
    return counts
