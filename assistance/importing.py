"""Aid-recipient lists from a file (civil affairs' 特困/低保 lists, rural revitalisation's monitored people).

One ImportBatch kind of the enrollment import pipeline, checked and applied in one step like payments:
rows are checked in Python, then chunk by chunk with set-based queries (one lookup of people and of
existing records per chunk, then bulk insert / bulk update). The person must already be registered
and the name must match. Re-importing the same list creates nothing: (person, category, valid_from)
is unique, and a known record is "unchanged" (or gets the file's new end date). In atomic mode any
refused row cancels the whole batch.
"""

import datetime as dt
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.jobs import register_job
from audit.models import AuditEvent
from audit.services import audit_event_record, job_run_progress
from enrollment.importing.pipeline import batch_store_and_queue, import_batch_transition
from enrollment.importing.reader import FileProblem, count_data_rows, header_index, iter_rows
from enrollment.models import ImportBatch, ImportRowError, Person
from enrollment.validators import InvalidValue, mask_id_number, validate_id_number

from .models import AidCategory, AidRecipient

HEADERS = {
    "姓名": "name",
    "身份证号": "id_number",
    "救助类别": "category",
    "认定开始日期": "valid_from",
    "认定截止日期": "valid_to",
    "数据来源": "source",
}
REQUIRED = ("姓名", "身份证号", "救助类别", "认定开始日期")
CATEGORIES = {str(label): value for value, label in AidCategory.choices}
CATEGORIES.update(
    {"特困": "destitute", "低保": "subsistence", "返贫致贫": "relapsed_poor", "监测": "monitored"}
    | {"低保边缘": "near_subsistence", "脱贫": "lifted_poor"}
    | {value: value for value in AidCategory.values}
)
SOURCES = {"民政": "civil_affairs", "乡村振兴": "rural", "医保": "bureau"}
SOURCES.update({str(label): value for value, label in AidRecipient.Source.choices})
SOURCES.update({value: value for value in AidRecipient.Source.values})
CHUNK = 5000
Status = ImportBatch.Status
Row = tuple[int, str, str, str, dt.date, dt.date | None, str]  # row, id, name, category, from, to, source


@transaction.atomic
def aid_recipient_batch_create(
    *,
    actor: Any,
    fileobj: Any,
    original_name: str,
    district_id: int | None,
    mode: str,
    source: str = AidRecipient.Source.CIVIL_AFFAIRS,
    inline: bool = False,
) -> ImportBatch:
    """Store an aid-recipient list and queue its processing. `source` applies to rows without 数据来源."""
    if source not in AidRecipient.Source.values:
        raise ValidationError({"source": "请选择数据来源"})
    batch = batch_store_and_queue(
        actor=actor,
        kind=ImportBatch.Kind.AID_RECIPIENTS,
        job_kind="aid_recipients_import",
        fileobj=fileobj,
        original_name=original_name,
        district_id=district_id,
        mode=mode,
        inline=inline,
    )
    # The job runs after commit and reads the upload's default source from here.
    ImportBatch.objects.filter(pk=batch.pk).update(counts={"default_source": source})
    batch.counts = {"default_source": source}
    return batch


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.replace("/", "-").replace(".", "-"))
    except ValueError:
        return None


def _check_row(row_number: int, cells: list[str], pos: dict[str, int], default_source: str, errors: list) -> Row | None:
    def cell(field: str) -> str:
        i = pos.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    before = len(errors)
    name = cell("name")
    if not name or len(name) > 50:
        errors.append((row_number, "姓名", name[:20], "姓名不能为空，且不超过50个字"))
    try:
        id_number = validate_id_number(cell("id_number"))
    except InvalidValue as exc:
        errors.append((row_number, "身份证号", mask_id_number(cell("id_number"))[:20], str(exc)))
        id_number = ""
    category = CATEGORIES.get(cell("category"))
    if category is None:
        errors.append(
            (
                row_number,
                "救助类别",
                cell("category")[:20],
                "救助类别无效，应为特困人员、低保对象、返贫致贫人口、监测对象、低保边缘家庭成员或脱贫人口",
            )
        )
    valid_from = _date(cell("valid_from"))
    if valid_from is None:
        errors.append((row_number, "认定开始日期", cell("valid_from")[:20], "认定开始日期格式应为 YYYY-MM-DD"))
    valid_to = None
    if cell("valid_to"):
        valid_to = _date(cell("valid_to"))
        if valid_to is None:
            errors.append((row_number, "认定截止日期", cell("valid_to")[:20], "认定截止日期格式应为 YYYY-MM-DD"))
        elif valid_from is not None and valid_to < valid_from:
            errors.append((row_number, "认定截止日期", cell("valid_to"), "认定截止日期不能早于认定开始日期"))
    source = SOURCES.get(cell("source")) if cell("source") else default_source
    if source is None:
        errors.append((row_number, "数据来源", cell("source")[:20], "数据来源无效，应为民政、乡村振兴或医保"))
    if len(errors) != before:
        return None
    return row_number, id_number, name, category, valid_from, valid_to, source


def _apply_chunk(batch: ImportBatch, rows: list[Row], errors: list, seen: dict, counts: dict[str, int]) -> None:
    """Match rows to registered people, refuse what must be refused, write the rest in bulk."""
    people = {
        p["id_number"]: p
        for p in Person.objects.filter(id_number__in={r[1] for r in rows}).values(
            "id", "id_number", "name", "district_id"
        )
    }
    existing = {
        (r.person_id, r.category, r.valid_from): r
        for r in AidRecipient.objects.select_for_update()
        .filter(person_id__in=[p["id"] for p in people.values()], valid_from__in={r[4] for r in rows})
        .only("id", "person_id", "category", "valid_from", "valid_to")
    }
    not_found = "该身份证号未在本区县参保登记" if batch.district_id else "该身份证号未参保登记"
    new, changed = [], []
    for row_number, id_number, name, category, valid_from, valid_to, source in rows:
        person = people.get(id_number)
        # A person of another district is refused exactly like an unknown one: nothing about them shows.
        if person is None or (batch.district_id and person["district_id"] != batch.district_id):
            errors.append((row_number, "身份证号", mask_id_number(id_number), not_found))
            continue
        if person["name"] != name:
            errors.append((row_number, "姓名", name[:20], "姓名与登记信息不符"))
            continue
        key = (id_number, category, valid_from)
        if key in seen:
            errors.append(
                (
                    row_number,
                    "身份证号",
                    mask_id_number(id_number),
                    f"与文件第{seen[key]}行重复（同一人、同一救助类别、同一开始日期）",
                )
            )
            continue
        seen[key] = row_number
        old = existing.get((person["id"], category, valid_from))
        if old is None:
            new.append(
                AidRecipient(
                    person_id=person["id"],
                    category=category,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    source=source,
                    district_id=person["district_id"],
                    import_batch_id=batch.pk,
                )
            )
        elif old.valid_to == valid_to:
            counts["unchanged"] += 1
        else:
            old.valid_to = valid_to
            changed.append(old)
    AidRecipient.objects.bulk_create(new, batch_size=2000)
    now = timezone.now()
    for record in changed:
        record.updated_at = now
    AidRecipient.objects.bulk_update(changed, ["valid_to", "updated_at"], batch_size=2000)
    counts["recipients_created"] += len(new)
    counts["recipients_updated"] += len(changed)


class _AtomicRollback(Exception):
    pass


def _write_errors(batch: ImportBatch, errors: list) -> None:
    ImportRowError.objects.bulk_create(
        [ImportRowError(batch=batch, row_number=r, field=f, value=v[:100], message=m[:200]) for r, f, v, m in errors],
        batch_size=5000,
    )
    errors.clear()


def aid_recipient_batch_run(*, batch_id: int, run_id: int | None = None) -> dict[str, Any]:
    """Check and apply an aid-recipient list (逐行: chunk by chunk; 整批: one transaction, all or nothing)."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status in (Status.IMPORTED, Status.REJECTED):
        return batch.counts  # a repeated delivery of the task
    if batch.status != Status.VALIDATING:
        import_batch_transition(batch, Status.VALIDATING)
    ImportRowError.objects.filter(batch=batch).delete()
    default_source = (batch.counts or {}).get("default_source", AidRecipient.Source.CIVIL_AFFAIRS)
    try:
        counts, error_rows, final, problem = _run(batch, default_source=default_source, run_id=run_id)
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
            counts={**counts, "default_source": default_source},
            error=problem,
            updated_at=timezone.now(),
        )
        audit_event_record(
            actor=batch.uploaded_by,
            action=AuditEvent.Action.IMPORT,
            obj=batch,
            new_values={"status": final, **counts, "error_rows": error_rows},
            note="导入的医疗救助对象以 import_batch_id 关联本批次",
        )
    return counts


def _run(batch: ImportBatch, *, default_source: str, run_id: int | None) -> tuple[dict[str, int], int, str, str]:
    path = Path(batch.file.path)
    if run_id:
        job_run_progress(run_id=run_id, done=0, total=count_data_rows(path, batch.original_name))
    counts = {"total_rows": 0, "recipients_created": 0, "recipients_updated": 0, "unchanged": 0}
    errors: list[tuple[int, str, str, str]] = []
    error_row_numbers: set[int] = set()
    seen: dict[tuple, int] = {}
    atomic = batch.mode == ImportBatch.Mode.ATOMIC

    def apply(chunk: list[Row]) -> None:
        with transaction.atomic():
            _apply_chunk(batch, chunk, errors, seen, counts)
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
            positions = header_index(header, HEADERS, REQUIRED)
            chunk: list[Row] = []
            for row_number, cells in enumerate(rows, start=2):
                if not any(cells):
                    continue
                counts["total_rows"] += 1
                good = _check_row(row_number, cells, positions, default_source, errors)
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
        counts.update(recipients_created=0, recipients_updated=0)
    except FileProblem as exc:
        problem = f"{exc}（读到第{counts['total_rows'] + 1}行）"
        if atomic:
            counts.update(recipients_created=0, recipients_updated=0)
    if atomic:
        _write_errors(batch, errors)
    if problem:
        final = Status.REJECTED if atomic else Status.FAILED
    else:
        final = Status.REJECTED if atomic and error_row_numbers else Status.IMPORTED
    return counts, len(error_row_numbers), final, problem


@register_job("aid_recipients_import")
def _job_aid_recipients(*, run_id: int, batch_id: int) -> dict[str, Any]:
    return aid_recipient_batch_run(batch_id=batch_id, run_id=run_id)
