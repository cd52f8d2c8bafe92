"""Payments from a file: matched to bills, idempotent per reference, refused rows listed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from contributions.importing import payment_batch_create
from contributions.models import ContributionBill, ContributionPayment
from contributions.services import contribution_bill_issue, payment_record
from core.importing.reader import sample_csv
from core.models import District, ImportBatch, ImportRowError, JobRun
from tests.factories import ResidentEnrollmentFactory

pytestmark = pytest.mark.django_db
HEADER = ["身份证号", "参保年度", "缴费金额", "缴费流水号", "缴费日期", "缴费渠道"]


@pytest.fixture
def bills(districts):
    enrollments = [ResidentEnrollmentFactory(tier=1), ResidentEnrollmentFactory(tier=2)]
    return [contribution_bill_issue(actor=None, enrollment=e, coverage_year=2023) for e in enrollments]


def upload(actor, rows, *, mode="skip_invalid", capture=None):
    data = sample_csv(HEADER, rows)
    with capture(execute=True):
        batch = payment_batch_create(
            actor=actor,
            fileobj=SimpleUploadedFile("缴费.csv", data),
            original_name="缴费.csv",
            district_id=actor.district_id,
            mode=mode,
        )
    batch.refresh_from_db()
    return batch


def test_payments_are_matched_and_replays_change_nothing(clerk_yuzhong, bills, django_capture_on_commit_callbacks):
    tier1, tier2 = bills
    rows = [
        [tier1.person.id_number, "2023", "350.00", "TAX-1", "2023-01-05", "税务代征"],
        [tier2.person.id_number, "2023", "700.00", "TAX-2", "2023-01-05", ""],
    ]
    batch = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert batch.status == ImportBatch.Status.IMPORTED
    assert batch.counts["payments_created"] == 2 and batch.error_rows == 0
    tier1.refresh_from_db()
    tier2.refresh_from_db()
    assert (tier1.paid_amount, tier1.status) == (Decimal("350.00"), "paid")
    assert (tier2.paid_amount, tier2.status) == (Decimal("700.00"), "partial")
    assert ContributionPayment.objects.get(reference="TAX-1").channel == "tax"

    again = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert again.counts["payments_created"] == 0 and again.counts["unchanged"] == 2
    assert ContributionPayment.objects.count() == 2
    tier2.refresh_from_db()
    assert tier2.paid_amount == Decimal("700.00")


def test_refused_rows_have_row_numbers_and_reasons(clerk_yuzhong, bills, django_capture_on_commit_callbacks):
    tier1, tier2 = bills
    rows = [
        [tier1.person.id_number, "2023", "400.00", "R-1", "2023-01-05", ""],  # row 2: over the 350 due
        [tier1.person.id_number, "2024", "350.00", "R-2", "2023-01-05", ""],  # row 3: no 2024 bill
        [tier2.person.id_number, "2023", "abc", "R-3", "2023-01-05", ""],  # row 4: amount
        [tier2.person.id_number, "2023", "100.00", "R-4", "2023-13-05", ""],  # row 5: date
        [tier2.person.id_number, "2023", "100.00", "R-5", "2023-01-05", ""],  # row 6: good
        [tier2.person.id_number, "2023", "100.00", "R-5", "2023-01-06", ""],  # row 7: same reference again
        [tier2.person.id_number, "2023", "100.00", "R-6", "2023-01-06", "银行代扣"],  # row 8: no such channel
    ]
    batch = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    errors = {e.row_number: e.message for e in ImportRowError.objects.filter(batch=batch)}
    assert errors[2].startswith("缴费金额超过未缴金额")
    assert errors[3] == "未找到该人员2024年度的缴费单"
    assert errors[4].startswith("缴费金额应为")
    assert errors[5].startswith("缴费日期格式")
    assert errors[7] == "与文件第6行的缴费流水号重复"
    # The refusal says what is accepted (issue 11, finding 10: 银行代扣 was refused without a word on what is).
    assert errors[8] == "缴费渠道无效，可选：窗口、接口、文件导入、税务代征（或留空，按文件导入）"
    assert batch.counts["payments_created"] == 1 and batch.error_rows == 6
    assert list(ContributionPayment.objects.values_list("reference", flat=True)) == ["R-5"]


def test_atomic_mode_records_nothing_when_a_row_is_wrong(clerk_yuzhong, bills, django_capture_on_commit_callbacks):
    tier1, _ = bills
    rows = [
        [tier1.person.id_number, "2023", "100.00", "A-1", "2023-01-05", ""],
        [tier1.person.id_number, "2023", "-5", "A-2", "2023-01-05", ""],
    ]
    batch = upload(clerk_yuzhong, rows, mode="atomic", capture=django_capture_on_commit_callbacks)
    assert batch.status == ImportBatch.Status.REJECTED
    assert ContributionPayment.objects.count() == 0
    tier1.refresh_from_db()
    assert tier1.paid_amount == Decimal("0.00")


def test_other_district_bills_are_not_found(reviewer_jiangbei, bills, django_capture_on_commit_callbacks):
    tier1, _ = bills
    rows = [[tier1.person.id_number, "2023", "350.00", "X-1", "2023-01-05", ""]]
    batch = upload(reviewer_jiangbei, rows, capture=django_capture_on_commit_callbacks)
    assert ImportRowError.objects.get(batch=batch).message == "未找到该人员2023年度的缴费单"
    assert not ContributionPayment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_commands_issue_bills_and_import_payments(districts, standards_2023, tmp_path, capsys):
    enrollment = ResidentEnrollmentFactory(tier=2)
    call_command("issue_bills", "--year", "2023")
    call_command("issue_bills", "--year", "2023")
    bill = ContributionBill.objects.get()
    assert bill.due_amount == Decimal("725.00")
    path = tmp_path / "pay.csv"
    path.write_bytes(sample_csv(HEADER, [[enrollment.person.id_number, "2023", "725.00", "C-1", "2023-02-01", ""]]))
    call_command("import_payments", str(path))  # a dry run, as on the 批量导入 page: nothing booked
    bill.refresh_from_db()
    assert bill.status != "paid" and not ContributionPayment.objects.exists()
    out = capsys.readouterr().out
    assert "'created': 1" in out and "'created': 0" in out and "待确认" in out
    call_command("import_payments", str(path), "--confirm")
    bill.refresh_from_db()
    assert bill.status == "paid" and ContributionPayment.objects.count() == 1
    assert "'payments_created': 1" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_import_enrollees_command_dry_run_then_confirm(districts, tmp_path, capsys):
    from tests.factories import make_id_number
    from tests.test_import import HEADER as ENROLLEE_HEADER
    from tests.test_import import row

    path = tmp_path / "list.csv"
    path.write_bytes(sample_csv(ENROLLEE_HEADER, [row("刘一", make_id_number(seq=901, birth=dt.date(1990, 1, 2)))]))
    call_command("import_enrollees", str(path), "--effective-date", "2023-01-01", "--district", "500103")
    assert "待确认" in capsys.readouterr().out
    call_command("import_enrollees", str(path), "--effective-date", "2023-01-01", "--district", "500103", "--confirm")
    out = capsys.readouterr().out
    assert "'created_enrollments': 1" in out


# Issue 11, finding 3: the upload page's button says "上传并校验（不会写入数据）", so a payments file stops
# at 待确认 like the enrollee list, and only 确认导入 books it.


def page_upload(client, rows, *, capture, mode="skip_invalid", name="缴费.csv", content=None):
    """What the 批量导入 page posts for a district clerk (their own district)."""
    data = content if content is not None else sample_csv(HEADER, rows)
    district = District.objects.get(code="500103")
    with capture(execute=True):
        response = client.post(
            reverse("core:import_list"),
            {"kind": "payments", "mode": mode, "district": district.pk, "file": SimpleUploadedFile(name, data)},
        )
    return response


def test_page_upload_books_nothing_until_confirmed(
    client_for, clerk_yuzhong, bills, django_capture_on_commit_callbacks
):
    tier1, tier2 = bills
    rows = [
        [tier1.person.id_number, "2023", "350.00", "P-1", "2023-01-05", "税务代征"],
        [tier2.person.id_number, "2023", "700.00", "P-2", "2023-01-05", ""],
        [tier2.person.id_number, "2023", "abc", "P-3", "2023-01-05", ""],  # row 4: refused
    ]
    client = client_for(clerk_yuzhong)
    response = page_upload(client, rows, capture=django_capture_on_commit_callbacks)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("core:import_detail", args=[batch.pk])
    # The preview: nothing booked, the batch waits for 确认导入, the refused row is listed.
    assert batch.status == ImportBatch.Status.VALIDATED
    assert ContributionPayment.objects.count() == 0
    tier1.refresh_from_db()
    assert tier1.paid_amount == Decimal("0.00") and tier1.status != "paid"
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (3, 2, 1)
    assert batch.counts["payments_created"] == 2  # what 确认导入 would book
    detail = client.get(reverse("core:import_detail", args=[batch.pk])).content.decode()
    assert "待确认" in detail and "将新增缴费记录" in detail and "缴费金额应为" in detail

    # The confirmation step says what will be written, then the POST books it.
    confirm_page = client.get(reverse("core:import_confirm", args=[batch.pk]))
    assert confirm_page.status_code == 200
    assert "将写入 2 行，跳过 1 行错误行。" in confirm_page.content.decode()
    assert ContributionPayment.objects.count() == 0  # looking at the confirmation writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("core:import_confirm", args=[batch.pk]))
    assert done.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED and batch.confirmed_by == clerk_yuzhong
    assert sorted(ContributionPayment.objects.values_list("reference", flat=True)) == ["P-1", "P-2"]
    assert all(p.import_batch_id == batch.pk for p in ContributionPayment.objects.all())
    tier1.refresh_from_db()
    tier2.refresh_from_db()
    assert (tier1.paid_amount, tier1.status) == (Decimal("350.00"), "paid")
    assert tier2.paid_amount == Decimal("700.00")
    # A second confirm changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:import_confirm", args=[batch.pk]))
    assert ContributionPayment.objects.count() == 2


def test_atomic_preview_with_errors_cannot_be_confirmed(
    client_for, clerk_yuzhong, bills, django_capture_on_commit_callbacks
):
    tier1, _ = bills
    rows = [
        [tier1.person.id_number, "2023", "100.00", "Q-1", "2023-01-05", ""],
        [tier1.person.id_number, "2023", "-5", "Q-2", "2023-01-05", ""],
    ]
    client = client_for(clerk_yuzhong)
    page_upload(client, rows, capture=django_capture_on_commit_callbacks, mode="atomic")
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.error_rows) == (ImportBatch.Status.VALIDATED, 1)
    assert "确认写入" not in client.get(reverse("core:import_confirm", args=[batch.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:import_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED
    assert ContributionPayment.objects.count() == 0


def test_apply_checks_again_and_an_atomic_file_returns_to_the_preview(
    client_for, clerk_yuzhong, bills, django_capture_on_commit_callbacks
):
    """The bill was paid at the counter between the preview and 确认导入: the apply refuses the row."""
    tier1, tier2 = bills
    rows = [
        [tier1.person.id_number, "2023", "350.00", "R-1", "2023-01-05", ""],
        [tier2.person.id_number, "2023", "100.00", "R-2", "2023-01-05", ""],
    ]
    client = client_for(clerk_yuzhong)
    page_upload(client, rows, capture=django_capture_on_commit_callbacks, mode="atomic")
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.error_rows) == (ImportBatch.Status.VALIDATED, 0)
    payment_record(actor=clerk_yuzhong, bill=tier1, amount=Decimal("350.00"), paid_on=dt.date(2023, 1, 6),
                   reference="COUNTER-1", channel="counter")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:import_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.error_rows) == (ImportBatch.Status.VALIDATED, 1)
    assert list(ContributionPayment.objects.values_list("reference", flat=True)) == ["COUNTER-1"]
    assert ImportRowError.objects.get(batch=batch).message.startswith("缴费金额超过未缴金额")


def test_header_only_file_ends_with_a_message_and_nothing_to_confirm(
    client_for, clerk_yuzhong, bills, django_capture_on_commit_callbacks
):
    client = client_for(clerk_yuzhong)
    page_upload(client, [], capture=django_capture_on_commit_callbacks)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.REJECTED
    assert "文件中没有数据行" in batch.error
    detail = client.get(reverse("core:import_detail", args=[batch.pk])).content.decode()
    assert "文件中没有数据行" in detail and "确认导入" not in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:import_confirm", args=[batch.pk]), follow=True)
    assert "不能确认导入" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED and batch.job_run.kind == "payments_import"


def test_corrupt_xlsx_is_refused_at_upload_with_a_clear_message(
    client_for, clerk_yuzhong, bills, django_capture_on_commit_callbacks
):
    client = client_for(clerk_yuzhong)
    response = page_upload(
        client, [], capture=django_capture_on_commit_callbacks, name="缴费.xlsx", content=b"PK\x03\x04 not a workbook"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "文件不是有效的 XLSX 文件（可能已损坏或不是 Excel 文件）" in body
    assert "BadZipFile" not in body and "zip file" not in body
    assert not ImportBatch.objects.exists() and not JobRun.objects.exists()
