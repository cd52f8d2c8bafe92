"""Contribution payments from a file (e.g. the tax bureau's daily list), idempotent per 缴费流水号.

From the 批量导入 page and the API a file is first checked (预览, nothing booked: the batch stops at 待确认
with every refused row listed and the payments it would book counted); 确认导入 then books it, checking
every row again against the bills as they are then. The operator's command books in one step.
Rows are checked in Python, then applied chunk by chunk with set-based queries: one lookup of
bills and references per chunk, bills locked, payments bulk-inserted, bills bulk-updated.
A reference already recorded with the same bill and amount is a harmless repeat; the same
reference with different data is refused, and so is a reference an earlier row of the file has
(the floor's duplicate check, key 缴费流水号). In atomic mode any refused row cancels the batch.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.models import ContributionBill, ContributionPayment
from contributions.postings import paid_on_for
from contributions.selectors import coverage_window_for
from contributions.services import bill_cover_from, bill_status, channel_invalid_message
from core.export import FORMULA_STARTS
from core.importing.batches import batch_confirm_and_queue, batch_store_and_queue
from core.importing.registry import Importer
from core.importing.rowfile import APPLY, PREVIEW, RUN, row_file_apply, row_file_batch_run
from core.importing.rows import RowError
from core.ledger import records_post
from core.models import ImportBatch, JobRun, User
from enrollment.validators import InvalidValue, mask_id_number, validate_id_number

HEADERS = {
    "身份证号": "id_number",
    "参保年度": "coverage_year",
    "缴费金额": "amount",
    "缴费流水号": "reference",
    "缴费日期": "paid_on",
    "缴费渠道": "channel",
}
REQUIRED = ("身份证号", "参保年度", "缴费金额", "缴费流水号", "缴费日期")
CHANNELS = {"": "file", "文件导入": "file", "窗口": "counter", "接口": "api", "税务代征": "tax"}
CHANNELS.update({c: c for c in ContributionPayment.Channel.values})


class PaymentRow(NamedTuple):
    """A checked row; its fields are named as in HEADERS, so the floor reads the key (reference) by name."""

    row_number: int
    id_number: str
    coverage_year: int
    amount: Decimal
    reference: str
    paid_on: dt.date
    channel: str


@transaction.atomic
def payment_batch_create(
    *,
    actor: User | None,
    fileobj: Any,
    original_name: str,
    district_id: int | None,
    mode: str,
    inline: bool = False,
    preview: bool = False,
) -> ImportBatch:
    """Store a payments file and queue its processing.

    `preview` (the 批量导入 page, the API): check only and stop at 待确认; `payment_batch_confirm` books.
    Without it (the operator's command): check and book in one step."""
    return batch_store_and_queue(
        actor=actor,
        kind=ImportBatch.Kind.PAYMENTS,
        job_kind="payments_import",
        fileobj=fileobj,
        original_name=original_name,
        district_id=district_id,
        mode=mode,
        inline=inline,
        params={"step": PREVIEW} if preview else None,
    )


def payment_batch_upload(**kwargs: Any) -> ImportBatch:
    """The upload of the 批量导入 page and POST /api/v1/imports/: a preview, nothing booked until confirmed."""
    return payment_batch_create(preview=True, **kwargs)


def payment_batch_confirm(*, actor: User | None, batch: ImportBatch, inline: bool = False) -> JobRun:
    """Staff looked at the preview and confirm: queue the booking (which checks every row again)."""
    return batch_confirm_and_queue(
        actor=actor, batch=batch, job_kind="payments_import", params={"step": APPLY}, inline=inline
    )


def _check_row(row_number: int, cells: list[str], pos: dict[str, int], errors: list[RowError]) -> PaymentRow | None:
    def cell(field: str) -> str:
        i = pos.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    before = len(errors)
    try:
        id_number = validate_id_number(cell("id_number"))
    except InvalidValue as exc:
        errors.append((row_number, "身份证号", mask_id_number(cell("id_number"))[:20], str(exc)))
        id_number = ""
    year_text = cell("coverage_year")
    year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
    if year is None:
        errors.append((row_number, "参保年度", year_text, "参保年度应为四位年份"))
    try:
        amount = Decimal(cell("amount"))
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append((row_number, "缴费金额", cell("amount")[:20], "缴费金额应为大于0的金额，最多两位小数"))
        amount = None
    reference = cell("reference")
    if not reference or len(reference) > 64:
        errors.append((row_number, "缴费流水号", reference[:20], "缴费流水号不能为空，且不超过64个字符"))
    elif reference.startswith(FORMULA_STARTS) or not reference.isprintable():
        errors.append((row_number, "缴费流水号", reference[:20], "缴费流水号不能以 = + - @ 开头，也不能含有控制字符"))
    try:
        paid_on = dt.date.fromisoformat(cell("paid_on").replace("/", "-"))
    except ValueError:
        errors.append((row_number, "缴费日期", cell("paid_on")[:20], "缴费日期格式应为 YYYY-MM-DD"))
        paid_on = None
    channel = CHANNELS.get(cell("channel"))
    if channel is None:
        message = f"{channel_invalid_message()}（或留空，按文件导入）"
        errors.append((row_number, "缴费渠道", cell("channel")[:20], message))
    if len(errors) != before:
        return None
    return PaymentRow(row_number, id_number, year, amount, reference, paid_on, channel)


def _apply_chunk(
    batch: ImportBatch, rows: list[PaymentRow], errors: list[RowError], counts: dict[str, int], *, write: bool = True
) -> None:
    """Match rows to bills, refuse what must be refused, insert the rest; one transaction per chunk.

    The rows are no repeats of an earlier row's reference: the floor refused those (key 缴费流水号).
    Without `write` (the preview) nothing is locked or written: the counts say what would be booked."""
    keys = {(r.id_number, r.coverage_year) for r in rows}
    if not keys:
        return
    bills_query = ContributionBill.objects.select_related("person", "enrollment").filter(
        person__id_number__in={k[0] for k in keys}, coverage_year__in={k[1] for k in keys}
    )
    if write:
        bills_query = bills_query.select_for_update(of=("self",))
    bills = {(b.person.id_number, b.coverage_year): b for b in bills_query}
    existing = {p.reference: p for p in ContributionPayment.objects.filter(reference__in=[r.reference for r in rows])}
    # The counter's rule for the start of cover (enrollment window, waiting period), once per year in the chunk.
    windows = {year: coverage_window_for(year=year) for year in {k[1] for k in keys}}
    new_payments, touched = [], {}
    for row_number, id_number, year, amount, reference, paid_on, channel in rows:
        bill = bills.get((id_number, year))
        if bill is None or (batch.district_id and bill.district_id != batch.district_id):
            errors.append((row_number, "身份证号", "", f"未找到该人员{year}年度的缴费单"))
            continue
        if reference in existing:
            old = existing[reference]
            if old.bill_id == bill.pk and old.amount == amount:
                counts["unchanged"] += 1
            else:
                errors.append((row_number, "缴费流水号", reference[:20], "该缴费流水号已记录为另一笔缴费"))
            continue
        if amount > bill.outstanding:
            errors.append((row_number, "缴费金额", str(amount), f"缴费金额超过未缴金额（未缴 {bill.outstanding} 元）"))
            continue
        bill.paid_amount += amount
        bill.status = bill_status(due=bill.due_amount, subsidy=bill.subsidy_amount, paid=bill.paid_amount)
        bill.paid_on = paid_on_for(status=bill.status, day=paid_on)
        bill.cover_from = bill_cover_from(bill=bill, category=bill.enrollment.category, window=windows[year])
        touched[bill.pk] = bill
        new_payments.append(
            ContributionPayment(
                bill=bill,
                amount=amount,
                paid_on=paid_on,
                reference=reference,
                channel=channel,
                recorded_by=batch.uploaded_by,
                import_batch_id=batch.pk,
            )
        )
    if write:
        ContributionPayment.objects.bulk_create(new_payments, batch_size=2000)
        now = timezone.now()
        for bill in touched.values():
            bill.updated_at = now
        ContributionBill.objects.bulk_update(
            touched.values(), ["paid_amount", "status", "paid_on", "cover_from", "updated_at"], batch_size=2000
        )
        # The chunk's summary in the fund books, in its transaction: its payments, and the fiscal subsidy of
        # the bills it paid in full (a chunk is at most a few thousand rows).
        memo = f"缴费记录导入 第{batch.pk}批"
        if new_payments:
            ids = [p.pk for p in new_payments]
            records_post(source="payment", memo=memo, import_batch_id=batch.pk, pk__gte=min(ids), pk__lte=max(ids))
        paid = [b.pk for b in touched.values() if b.paid_on is not None]
        if paid:
            records_post(source="fiscal_subsidy", memo=memo, pk__in=paid)
    counts["payments_created"] += len(new_payments)
    counts["bills_updated"] += len(touched)


def payment_batch_run(*, batch_id: int, run_id: int | None = None, step: str = RUN) -> dict[str, int]:
    """Check a payments file, and book it (step RUN: at once; PREVIEW: check only; APPLY: after 确认导入).

    逐行 (skip_invalid): chunk by chunk, each chunk's payments, bill updates and row errors in one
    transaction, so memory stays flat and a re-run after a crash finds the committed chunks as
    "unchanged". 整批 (atomic): one transaction; any refused row rolls everything back.
    """
    counts = {"total_rows": 0, "payments_created": 0, "bills_updated": 0, "unchanged": 0}

    def run(batch: ImportBatch) -> tuple[dict[str, int], int, str, str]:
        write = step != PREVIEW
        return row_file_apply(
            batch=batch,
            run_id=run_id,
            check_row=_check_row,
            apply_chunk=lambda chunk, errors: _apply_chunk(batch, chunk, errors, counts, write=write),
            counts=counts,
            written=("payments_created", "bills_updated"),
            preview=not write,
        )

    return row_file_batch_run(batch_id=batch_id, run=run, note="导入的缴费记录以 import_batch_id 关联本批次", step=step)


def payments_import_job(*, run_id: int, batch_id: int, step: str = RUN) -> dict[str, int]:
    return payment_batch_run(batch_id=batch_id, run_id=run_id, step=step)


PAYMENTS_IMPORTER = Importer(
    kind=ImportBatch.Kind.PAYMENTS,
    label=_("缴费记录"),
    headers=HEADERS,
    required=REQUIRED,
    key_columns=("缴费流水号",),
    create=payment_batch_upload,
    confirm=payment_batch_confirm,
    example=("11010519491231002X", "2023", "350.00", "BANK-2023-000001", "2022-12-01", "税务代征"),
    duplicate_shown=lambda row: row.reference[:20],
)
