"""Import batches of every kind: the upload envelope, the status machine, cancelling.

Each kind of file (enrollees, payments, aid recipients) registers an `Importer` (registry.py); the
batch, its status moves, its stored file, its job and its audit events are the same for all.
"""

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from ..models import AuditEvent, ImportBatch, JobRun, User
from ..scope import require_edit_for_scope
from ..services import acting_user, audit_event_record, job_run_create
from ..tasks import enqueue_job
from .duplicates import import_keys_clear
from .reader import FileProblem, check_readable
from .registry import importer_for

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
Status = ImportBatch.Status


def import_batch_transition(batch: ImportBatch, to: str) -> None:
    """Move a batch along its transition map, atomically against concurrent moves."""
    allowed_from = [s for s, targets in ImportBatch.TRANSITIONS.items() if to in targets]
    moved = ImportBatch.objects.filter(pk=batch.pk, status__in=allowed_from).update(
        status=to, updated_at=timezone.now()
    )
    if not moved:
        batch.refresh_from_db(fields=["status"])
        raise ValidationError(
            {"status": f"导入批次当前状态为“{batch.get_status_display()}”，不能变为“{Status(to).label}”"}
        )
    batch.status = to


def _sha256(fileobj) -> str:
    digest = hashlib.sha256()
    for chunk in fileobj.chunks() if hasattr(fileobj, "chunks") else iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def batch_store_and_queue(
    *,
    actor: User | None,
    kind: str,
    job_kind: str,
    fileobj: Any,
    original_name: str,
    district_id: int | None,
    mode: str,
    effective_date: dt.date | None = None,
    inline: bool = False,
    params: dict[str, Any] | None = None,
) -> ImportBatch:
    """Check the upload's envelope, store the file, record the batch and queue its job. Call in a transaction.

    `params` are the job's own parameters beside the batch id (e.g. which step to run)."""
    require_edit_for_scope(actor=actor, district_id=district_id)
    if not original_name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": "只支持 CSV 或 XLSX 文件"})
    if getattr(fileobj, "size", 0) > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": "文件超过 512 MB，请拆分后导入"})
    if mode not in ImportBatch.Mode.values:
        raise ValidationError({"mode": "请选择导入方式"})
    try:
        check_readable(fileobj, original_name)  # a damaged XLSX is refused here, with nothing stored
    except FileProblem as exc:
        raise ValidationError({"file": str(exc)}) from None
    finally:
        fileobj.seek(0)
    batch = ImportBatch(
        kind=kind,
        mode=mode,
        district_id=district_id,
        original_name=Path(original_name).name[:255],
        sha256=_sha256(fileobj),
        effective_date=effective_date,
        uploaded_by=acting_user(actor),
    )
    batch.file.save(f"{batch.sha256[:16]}-{batch.original_name}", File(fileobj), save=False)
    batch.save()
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        obj=batch,
        new_values={"file": batch.original_name, "sha256": batch.sha256, "mode": mode, "status": batch.status},
    )
    run = job_run_create(
        actor=actor, kind=job_kind, params={"batch_id": batch.pk, **(params or {})}, district_id=district_id
    )
    ImportBatch.objects.filter(pk=batch.pk).update(job_run=run)
    batch.job_run = run
    enqueue_job(run, inline=inline)
    return batch


def batch_confirm_and_queue(
    *, actor: User | None, batch: ImportBatch, job_kind: str, params: dict[str, Any] | None = None, inline: bool = False
) -> JobRun:
    """确认导入 of a previewed batch: check it may be imported, record who confirmed, queue the apply job.

    Refused (ValidationError, nothing written): a batch not 待确认, a 整批 batch with refused rows, a
    batch without a row to import."""
    require_edit_for_scope(actor=actor, district_id=batch.district_id)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != Status.VALIDATED:
            raise ValidationError({"status": f"导入批次当前状态为“{batch.get_status_display()}”，不能确认导入"})
        if batch.mode == ImportBatch.Mode.ATOMIC and batch.error_rows:
            raise ValidationError(
                {"mode": f"整批导入模式下有 {batch.error_rows} 行错误，不能导入；请修正后重新上传，或改为逐行导入"}
            )
        if not batch.valid_rows:
            raise ValidationError({"file": "没有可导入的有效行"})
        import_batch_transition(batch, Status.IMPORTING)
        ImportBatch.objects.filter(pk=batch.pk).update(confirmed_by=acting_user(actor), error="")
        audit_event_record(
            actor=actor, action=AuditEvent.Action.STATUS, obj=batch, new_values={"status": Status.IMPORTING}
        )
        run = job_run_create(
            actor=actor,
            kind=job_kind,
            params={"batch_id": batch.pk, **(params or {})},
            district_id=batch.district_id,
        )
        ImportBatch.objects.filter(pk=batch.pk).update(job_run=run)
        enqueue_job(run, inline=inline)
    return run


def import_batch_retry(*, actor: User | None, batch: ImportBatch, inline: bool = False) -> JobRun:
    """重试 a 失败 batch (its check died with its worker, or failed): check it again from the file.

    A kind with its own 重新校验 (the enrollee list) uses it. Any other runs its last job again as a new
    run with the same parameters, an apply step turned back into the check (预览): the file is checked
    again against the data as it is now and the batch stops at 待确认; rows an interrupted 逐行 apply had
    committed are found already recorded (idempotent on the file's key), never written twice."""
    require_edit_for_scope(actor=actor, district_id=batch.district_id)
    importer = importer_for(batch.kind)
    if importer.revalidate is not None:
        return importer.revalidate(actor=actor, batch=batch, inline=inline)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("job_run").get(pk=batch.pk)
        last = batch.job_run
        if batch.status != Status.FAILED or last is None:
            raise ValidationError({"status": f"导入批次当前状态为“{batch.get_status_display()}”，不能重试"})
        params = {**(last.params or {}), "batch_id": batch.pk}
        if params.get("step") == "apply":
            params["step"] = "preview"
        import_batch_transition(batch, Status.VALIDATING)
        run = job_run_create(actor=actor, kind=last.kind, params=params, district_id=batch.district_id)
        ImportBatch.objects.filter(pk=batch.pk).update(job_run=run, error="")
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.STATUS,
            obj=batch,
            old_values={"status": Status.FAILED},
            new_values={"status": Status.VALIDATING, "job_run": run.pk},
            note="重试",
        )
        enqueue_job(run, inline=inline)
    return run


@transaction.atomic
def import_batch_cancel(*, actor: User | None, batch: ImportBatch) -> ImportBatch:
    require_edit_for_scope(actor=actor, district_id=batch.district_id)
    import_batch_transition(batch, Status.CANCELLED)
    audit_event_record(actor=actor, action=AuditEvent.Action.STATUS, obj=batch, new_values={"status": batch.status})
    # After the commit, so the cleanup never holds up (or rolls back with) the status change.
    transaction.on_commit(lambda: import_keys_clear(batch.pk))
    on_cancel = importer_for(batch.kind).on_cancel
    if on_cancel is not None:
        transaction.on_commit(lambda: on_cancel(batch.pk))
    return batch
