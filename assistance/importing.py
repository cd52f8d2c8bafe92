"""Aid-recipient lists from a file (civil affairs' 特困/低保 lists, rural revitalisation's monitored people).

One ImportBatch kind of the enrollment import pipeline, checked and applied in one step like payments:
rows are checked in Python, then chunk by chunk with set-based queries (one lookup of people, of
existing records and of worklist items per chunk, then bulk insert / bulk update). A registered person
must have the list's name and belong to the batch's district. An ID number nobody has registered is
not refused: 002 asks "确保应保尽保、应助尽助", so it becomes a 待参保 worklist item (AidEnrollmentItem) of
the batch's district (a city-wide list names the district in the optional 区县 column) for a clerk to
enroll. Re-importing the same list creates nothing: (person, category, valid_from) and (ID number,
category, valid_from) are unique, and a known record is "unchanged" (or gets the file's new end date).
In atomic mode any refused row cancels the whole batch.
"""

import datetime as dt
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.importing.batches import batch_store_and_queue
from core.importing.registry import Importer
from core.importing.rowfile import row_file_apply, row_file_batch_run
from core.importing.rows import RowError
from core.models import District, ImportBatch, User
from enrollment.models import Person
from enrollment.validators import InvalidValue, mask_id_number, validate_id_number, validate_person_name

from .models import AidCategory, AidEnrollmentItem, AidRecipient

HEADERS = {
    "姓名": "name",
    "身份证号": "id_number",
    "救助类别": "category",
    "认定开始日期": "valid_from",
    "认定截止日期": "valid_to",
    "数据来源": "source",
    "区县": "district",
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


class AidRow(NamedTuple):
    """A checked row; its fields are named as in HEADERS, so the floor reads the key by name."""

    row_number: int
    id_number: str
    name: str
    category: str
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    district_id: int | None


@transaction.atomic
def aid_recipient_batch_create(
    *,
    actor: User | None,
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


def _districts() -> dict[str, int]:
    """区县 as a list may name it: by 6-digit code or by name."""
    rows = District.objects.values_list("id", "code", "name")
    return {code: pk for pk, code, _name in rows} | {name: pk for pk, _code, name in rows}


def _check_row(
    row_number: int,
    cells: list[str],
    pos: dict[str, int],
    default_source: str,
    errors: list[RowError],
    districts: dict[str, int] | None = None,
) -> AidRow | None:
    def cell(field: str) -> str:
        i = pos.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    before = len(errors)
    name = cell("name")
    if not name or len(name) > 50:
        errors.append((row_number, "姓名", name[:20], "姓名不能为空，且不超过50个字"))
    else:
        try:
            name = validate_person_name(name)
        except InvalidValue as exc:
            errors.append((row_number, "姓名", name[:20], str(exc)))
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
    district_id = None
    if cell("district"):
        district_id = (districts or {}).get(cell("district"))
        if district_id is None:
            errors.append((row_number, "区县", cell("district")[:20], "区县无效，应为区县代码或区县名称"))
    if len(errors) != before:
        return None
    return AidRow(row_number, id_number, name, category, valid_from, valid_to, source, district_id)


def _apply_chunk(batch: ImportBatch, rows: list[AidRow], errors: list[RowError], counts: dict[str, int]) -> None:
    """Match rows to registered people, refuse what must be refused, put the unregistered on the worklist,
    write the rest in bulk.

    The rows are no repeats of an earlier row (same person, category and start): the floor refused those."""
    numbers = {r.id_number for r in rows}
    people = {
        p["id_number"]: p
        for p in Person.objects.filter(id_number__in=numbers).values("id", "id_number", "name", "district_id")
    }
    existing = {
        (r.person_id, r.category, r.valid_from): r
        for r in AidRecipient.objects.select_for_update()
        .filter(person_id__in=[p["id"] for p in people.values()], valid_from__in={r.valid_from for r in rows})
        .only("id", "person_id", "category", "valid_from", "valid_to")
    }
    items = {
        (i.district_id, i.id_number, i.category, i.valid_from): i
        for i in AidEnrollmentItem.objects.select_for_update()
        .filter(id_number__in=numbers - people.keys(), valid_from__in={r.valid_from for r in rows})
        .only("id", "id_number", "category", "valid_from", "valid_to", "district_id", "status")
    }
    new, changed, new_items, changed_items = [], [], [], []
    for row_number, id_number, name, category, valid_from, valid_to, source, row_district in rows:
        person = people.get(id_number)
        if person is None:
            district_id = batch.district_id or row_district
            if district_id is None:
                errors.append((row_number, "区县", "", "该身份证号未参保登记；全市名单须在“区县”列写明其所在区县"))
                continue
            if batch.district_id and row_district and row_district != batch.district_id:
                errors.append((row_number, "区县", "", "区县与本批次导入的区县不符"))
                continue
            item = items.get((district_id, id_number, category, valid_from))
            if item is None:
                new_items.append(
                    AidEnrollmentItem(
                        id_number=id_number,
                        name=name,
                        category=category,
                        valid_from=valid_from,
                        valid_to=valid_to,
                        source=source,
                        district_id=district_id,
                        import_batch_id=batch.pk,
                    )
                )
            elif item.valid_to == valid_to or item.status != AidEnrollmentItem.Status.OPEN:
                counts["unchanged"] += 1
            else:
                item.valid_to = valid_to
                changed_items.append(item)
            continue
        # A person of another district is refused: their record is that district's to keep.
        if batch.district_id and person["district_id"] != batch.district_id:
            errors.append((row_number, "身份证号", mask_id_number(id_number), "该身份证号未在本区县参保登记"))
            continue
        if person["name"] != name:
            errors.append((row_number, "姓名", name[:20], "姓名与登记信息不符"))
            continue
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
    _close_items_of_registered(people)
    AidEnrollmentItem.objects.bulk_create(new_items, batch_size=2000)
    now = timezone.now()
    for record in [*changed, *changed_items]:
        record.updated_at = now
    AidRecipient.objects.bulk_update(changed, ["valid_to", "updated_at"], batch_size=2000)
    AidEnrollmentItem.objects.bulk_update(changed_items, ["valid_to", "updated_at"], batch_size=2000)
    counts["recipients_created"] += len(new)
    counts["recipients_updated"] += len(changed)
    counts["worklist_created"] += len(new_items)
    counts["worklist_updated"] += len(changed_items)


def _close_items_of_registered(people: dict[str, dict]) -> None:
    """Someone on a worklist who has since been registered the ordinary way is no longer 待参保."""
    if not people:
        return
    AidEnrollmentItem.objects.filter(status=AidEnrollmentItem.Status.OPEN, id_number__in=people.keys()).update(
        status=AidEnrollmentItem.Status.ENROLLED,
        person_id=Subquery(Person.objects.filter(id_number=OuterRef("id_number")).values("id")[:1]),
        note="已另行参保登记（名单再次导入时核对）",
        closed_at=timezone.now(),
        updated_at=timezone.now(),
    )


def aid_recipient_batch_run(*, batch_id: int, run_id: int | None = None) -> dict[str, Any]:
    """Check and apply an aid-recipient list (逐行: chunk by chunk; 整批: one transaction, all or nothing)."""
    counts = {
        "total_rows": 0, "recipients_created": 0, "recipients_updated": 0, "worklist_created": 0,
        "worklist_updated": 0, "unchanged": 0,
    }  # fmt: skip

    def run(batch: ImportBatch) -> tuple[dict[str, int], int, str, str]:
        default_source = (batch.counts or {}).get("default_source", AidRecipient.Source.CIVIL_AFFAIRS)
        districts = _districts()
        return row_file_apply(
            batch=batch,
            run_id=run_id,
            check_row=lambda number, cells, pos, errors: _check_row(
                number, cells, pos, default_source, errors, districts
            ),
            apply_chunk=lambda chunk, errors: _apply_chunk(batch, chunk, errors, counts),
            counts=counts,
            written=("recipients_created", "recipients_updated", "worklist_created", "worklist_updated"),
        )

    return row_file_batch_run(
        batch_id=batch_id, run=run, note="导入的医疗救助对象以 import_batch_id 关联本批次", keep=("default_source",)
    )


def aid_recipients_import_job(*, run_id: int, batch_id: int) -> dict[str, Any]:
    return aid_recipient_batch_run(batch_id=batch_id, run_id=run_id)


AID_RECIPIENTS_IMPORTER = Importer(
    kind=ImportBatch.Kind.AID_RECIPIENTS,
    label=_("医疗救助对象名单"),
    headers=HEADERS,
    required=REQUIRED,
    key_columns=("身份证号", "救助类别", "认定开始日期"),
    create=aid_recipient_batch_create,
    on_upload_page=False,
    example=("张三", "11010519491231002X", "特困人员", "2023-01-01", "", "民政", ""),
    duplicate_message="与文件第{row}行重复（同一人、同一救助类别、同一开始日期）",
    duplicate_shown=lambda row: mask_id_number(row.id_number),
)
