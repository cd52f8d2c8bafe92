"""The one duplicate-in-file check every import gets from core/importing (driven by its key columns).

The first row with a key wins; a later row with the same key is refused, naming the earlier row. Row
files (payments, aid recipients) are applied chunk by chunk, so a repeat may sit in a later chunk than
the row it repeats; the chunk size is made tiny here to prove that, and that each chunk costs one
query however many rows it has.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assistance.importing import AID_RECIPIENTS_IMPORTER, aid_recipient_batch_create
from assistance.models import AidRecipient
from contributions.importing import PAYMENTS_IMPORTER, payment_batch_create
from contributions.models import ContributionPayment
from contributions.services import contribution_bill_issue
from core.importing.batches import import_batch_cancel
from core.importing.duplicates import RepeatFilter
from core.importing.reader import sample_csv
from core.importing.registry import Importer
from core.models import ImportBatch, ImportRowError
from core.models.imports import ImportKey
from enrollment.importing.pipeline import ENROLLEES_IMPORTER
from enrollment.models import ImportStagingRow
from enrollment.validators import mask_id_number
from tests.factories import PersonFactory, ResidentEnrollmentFactory, make_id_number
from tests.test_import import row as enrollee_row
from tests.test_import import upload as enrollee_upload

pytestmark = pytest.mark.django_db

PAYMENT_HEADER = ["身份证号", "参保年度", "缴费金额", "缴费流水号", "缴费日期", "缴费渠道"]
AID_HEADER = ["姓名", "身份证号", "救助类别", "认定开始日期", "认定截止日期", "数据来源"]


def row_errors(batch) -> list[tuple[int, str, str, str]]:
    return list(
        ImportRowError.objects.filter(batch=batch)
        .order_by("row_number", "id")
        .values_list("row_number", "field", "value", "message")
    )


@pytest.fixture
def small_chunks(monkeypatch):
    """Two checked rows per chunk, so a five-row file is applied in three chunks."""
    monkeypatch.setattr("core.importing.rowfile.CHUNK", 2)


# --- enrollee list: the whole file is staged, the same check runs over the staging table -------------


@pytest.mark.parametrize("slots", [None, 1, 3], ids=["filter", "every-key-a-candidate", "three-slots"])
def test_enrollee_list_refuses_later_rows_of_the_same_person(
    slots, clerk_yuzhong, districts, monkeypatch, django_capture_on_commit_callbacks
):
    # Row errors and progress are flushed every two rows: the repeats sit in later flushes than row 2.
    # The file's keys pass a RepeatFilter; only its candidates' rows are read by the SQL naming first rows.
    # With one slot (or three), keys that never repeat are candidates too: the errors must not change.
    if slots:
        monkeypatch.setattr(RepeatFilter, "_SLOTS", slots)
    monkeypatch.setattr("enrollment.importing.pipeline.PROGRESS_EVERY", 2)
    first = make_id_number(birth=dt.date(1971, 2, 3), seq=11)
    other = make_id_number(birth=dt.date(1972, 2, 3), seq=12)
    refused_first = make_id_number(birth=dt.date(1973, 2, 3), seq=13)
    rows = [
        enrollee_row("张一", first),  # 2: first with this number, kept
        enrollee_row("张二", other),  # 3
        enrollee_row("", refused_first),  # 4: refused by its own check (no name), so it is no "first row"
        enrollee_row("张一", first),  # 5: same person as row 2
        enrollee_row("张四", refused_first),  # 6: the first good row with this number, kept
        enrollee_row("张一", first),  # 7: same person again, still names row 2
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch = enrollee_upload(clerk_yuzhong, rows, mode="skip_invalid")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED
    assert row_errors(batch) == [
        (4, "姓名", "", "姓名不能为空"),
        (5, "身份证号", "", "与文件第2行的身份证号重复"),
        (7, "身份证号", "", "与文件第2行的身份证号重复"),
    ]
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (6, 3, 3)
    kept = ImportStagingRow.objects.filter(batch_id=batch.pk, rejected=False)
    assert sorted(kept.values_list("row_number", flat=True)) == [2, 3, 6]
    assert not ImportKey.objects.exists()  # the enrollee list checks its own staging table


def test_the_repeat_filter_names_every_repeated_key():
    keys = [7, 11, 7, 11, 11, 5, 10**16 + 3, 10**16 + 3 + RepeatFilter._SLOTS]  # the last two share a slot
    repeats = RepeatFilter()
    repeats.add(keys[:3])
    repeats.add(keys[3:])
    assert repeats.candidates == {7, 11, 10**16 + 3 + RepeatFilter._SLOTS}  # a candidate that is no repeat
    alone = RepeatFilter()
    alone.add(range(0, 10**17, 10**12))  # 100,000 different ID-number-sized keys
    assert len(alone.candidates) < 100


def test_enrollee_file_without_a_candidate_runs_no_repeat_query(clerk_yuzhong, django_capture_on_commit_callbacks):
    rows = [enrollee_row("张一", make_id_number(birth=dt.date(1971, 2, 3), seq=11))]
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        batch = enrollee_upload(clerk_yuzhong, rows, mode="skip_invalid")
    batch.refresh_from_db()
    assert (batch.status, batch.valid_rows) == (ImportBatch.Status.VALIDATED, 1)
    assert not [q for q in queries.captured_queries if "OVER (PARTITION BY" in q["sql"]]


# --- payments: key 缴费流水号 --------------------------------------------------------------------------------


@pytest.fixture
def bills(districts):
    enrollments = [ResidentEnrollmentFactory(tier=2), ResidentEnrollmentFactory(tier=2)]
    return [contribution_bill_issue(actor=None, enrollment=e, coverage_year=2023) for e in enrollments]


def upload_payments(actor, rows, *, capture, mode="skip_invalid"):
    with capture(execute=True):
        batch = payment_batch_create(
            actor=actor,
            fileobj=SimpleUploadedFile("缴费.csv", sample_csv(PAYMENT_HEADER, rows)),
            original_name="缴费.csv",
            district_id=actor.district_id,
            mode=mode,
        )
    batch.refresh_from_db()
    return batch


def test_payment_references_repeated_within_and_across_chunks(
    clerk_yuzhong, bills, small_chunks, django_capture_on_commit_callbacks
):
    a, b = (bill.person.id_number for bill in bills)
    rows = [
        [a, "2023", "10.00", "REF-A", "2023-01-05", ""],  # 2  chunk 1
        [a, "2023", "10.00", "REF-A", "2023-01-06", ""],  # 3  chunk 1: repeat of row 2 in the same chunk
        [b, "2023", "20.00", "REF-B", "2023-01-05", ""],  # 4  chunk 2 (row 3 was refused before it)
        [b, "2023", "abc", "REF-C", "2023-01-05", ""],  # 5  refused by its own check: REF-C not taken
        [a, "2023", "30.00", "REF-C", "2023-01-05", ""],  # 6  chunk 2: the first good REF-C
        [b, "2023", "20.00", "REF-B", "2023-02-01", ""],  # 7  chunk 3: repeat of row 4, an earlier chunk
        [a, "2023", "99.00", "REF-A", "2023-03-01", ""],  # 8  chunk 3: repeat of row 2, two chunks back
    ]
    with CaptureQueriesContext(connection) as queries:
        batch = upload_payments(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert batch.status == ImportBatch.Status.IMPORTED
    assert row_errors(batch) == [
        (3, "缴费流水号", "REF-A", "与文件第2行的缴费流水号重复"),
        (5, "缴费金额", "abc", "缴费金额应为大于0的金额，最多两位小数"),
        (7, "缴费流水号", "REF-B", "与文件第4行的缴费流水号重复"),
        (8, "缴费流水号", "REF-A", "与文件第2行的缴费流水号重复"),
    ]
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (7, 3, 4)
    payments = {p.reference: (p.amount, p.paid_on) for p in ContributionPayment.objects.all()}
    assert payments == {
        "REF-A": (Decimal("10.00"), dt.date(2023, 1, 5)),
        "REF-B": (Decimal("20.00"), dt.date(2023, 1, 5)),
        "REF-C": (Decimal("30.00"), dt.date(2023, 1, 5)),
    }
    # Set-based: one duplicate query per chunk of six good rows (three chunks), never one per row.
    reads_of_keys = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    assert sum("core_importkey" in sql for sql in reads_of_keys) == 3
    assert not ImportKey.objects.filter(batch_id=batch.pk).exists()  # cleaned up when the batch finished


def test_a_repeated_reference_rejects_an_atomic_payments_file(
    clerk_yuzhong, bills, small_chunks, django_capture_on_commit_callbacks
):
    a, b = (bill.person.id_number for bill in bills)
    rows = [
        [a, "2023", "10.00", "AT-1", "2023-01-05", ""],  # 2  chunk 1
        [b, "2023", "10.00", "AT-2", "2023-01-05", ""],  # 3  chunk 1
        [b, "2023", "10.00", "AT-1", "2023-01-05", ""],  # 4  chunk 2: repeat of row 2
    ]
    batch = upload_payments(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks, mode="atomic")
    assert batch.status == ImportBatch.Status.REJECTED
    assert row_errors(batch) == [(4, "缴费流水号", "AT-1", "与文件第2行的缴费流水号重复")]
    assert not ContributionPayment.objects.exists()
    assert batch.counts["payments_created"] == 0
    assert not ImportKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_per_row_payments_chunks_commit_and_still_see_earlier_keys(
    clerk_yuzhong, standards_2023, small_chunks, django_capture_on_commit_callbacks
):
    """Real commits between chunks (no test transaction around them): the keys of a committed chunk
    are still there for the next one, and gone once the batch has finished."""
    bill = contribution_bill_issue(
        actor=None, enrollment=ResidentEnrollmentFactory(tier=2), coverage_year=2023
    )  # fmt: skip
    number = bill.person.id_number
    rows = [
        [number, "2023", "10.00", "TX-1", "2023-01-05", ""],  # 2  chunk 1
        [number, "2023", "10.00", "TX-2", "2023-01-05", ""],  # 3  chunk 1
        [number, "2023", "10.00", "TX-3", "2023-01-05", ""],  # 4  chunk 2
        [number, "2023", "10.00", "TX-2", "2023-01-07", ""],  # 5  chunk 2: repeat of row 3
    ]
    batch = upload_payments(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert batch.status == ImportBatch.Status.IMPORTED
    assert row_errors(batch) == [(5, "缴费流水号", "TX-2", "与文件第3行的缴费流水号重复")]
    assert sorted(ContributionPayment.objects.values_list("reference", flat=True)) == ["TX-1", "TX-2", "TX-3"]
    assert not ImportKey.objects.exists()


# --- aid recipients: key (身份证号, 救助类别, 认定开始日期), the list's own message ---------------------------


@pytest.fixture
def people(districts):
    return PersonFactory(name="王一"), PersonFactory(name="王二")


def upload_aid(actor, rows, *, capture, mode="skip_invalid"):
    with capture(execute=True):
        batch = aid_recipient_batch_create(
            actor=actor,
            fileobj=SimpleUploadedFile("救助对象.csv", sample_csv(AID_HEADER, rows)),
            original_name="救助对象.csv",
            district_id=actor.district_id,
            mode=mode,
        )
    batch.refresh_from_db()
    return batch


def test_aid_recipients_repeated_within_and_across_chunks(
    clerk_yuzhong, people, small_chunks, django_capture_on_commit_callbacks
):
    a, b = people
    message = "与文件第{}行重复（同一人、同一救助类别、同一开始日期）"
    rows = [
        [a.name, a.id_number, "特困人员", "2023-01-01", "", ""],  # 2  chunk 1
        [a.name, a.id_number, "低保对象", "2023-01-01", "", ""],  # 3  chunk 1: other category, not a repeat
        [b.name, b.id_number, "特困", "2023-01-01", "", ""],  # 4  chunk 2: other person
        [a.name, a.id_number, "特困", "2023/01/01", "2023-12-31", ""],  # 5  chunk 2: row 2 written differently
        [a.name, a.id_number, "特困人员", "2023-02-01", "", ""],  # 6  chunk 3: other start date
        [b.name, b.id_number, "特困人员", "2023-01-01", "", "医保"],  # 7  chunk 3: repeat of row 4
    ]
    batch = upload_aid(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert batch.status == ImportBatch.Status.IMPORTED
    assert row_errors(batch) == [
        (5, "身份证号", mask_id_number(a.id_number), message.format(2)),
        (7, "身份证号", mask_id_number(b.id_number), message.format(4)),
    ]
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (6, 4, 2)
    got = set(AidRecipient.objects.values_list("person_id", "category", "valid_from", "valid_to"))
    assert got == {
        (a.pk, "destitute", dt.date(2023, 1, 1), None),  # row 2 won: row 5's end date was not applied
        (a.pk, "subsistence", dt.date(2023, 1, 1), None),
        (b.pk, "destitute", dt.date(2023, 1, 1), None),
        (a.pk, "destitute", dt.date(2023, 2, 1), None),
    }
    assert not ImportKey.objects.exists()


def test_a_repeated_aid_row_rejects_an_atomic_list(
    clerk_yuzhong, people, small_chunks, django_capture_on_commit_callbacks
):
    a, b = people
    rows = [
        [a.name, a.id_number, "监测对象", "2023-03-01", "", ""],  # 2  chunk 1
        [b.name, b.id_number, "监测对象", "2023-03-01", "", ""],  # 3  chunk 1
        [a.name, a.id_number.lower(), "监测", "2023-03-01", "", ""],  # 4  chunk 2: repeat of row 2
    ]
    batch = upload_aid(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks, mode="atomic")
    assert batch.status == ImportBatch.Status.REJECTED
    assert row_errors(batch) == [
        (4, "身份证号", mask_id_number(a.id_number), "与文件第2行重复（同一人、同一救助类别、同一开始日期）")
    ]
    assert not AidRecipient.objects.exists()


# --- the contract -------------------------------------------------------------------------------------------


def test_each_importer_declares_the_key_its_check_uses():
    assert ENROLLEES_IMPORTER.key_fields == ("id_number",)
    assert PAYMENTS_IMPORTER.key_fields == ("reference",)
    assert AID_RECIPIENTS_IMPORTER.key_fields == ("id_number", "category", "valid_from")
    assert PAYMENTS_IMPORTER.duplicate_template.format(row=6) == "与文件第6行的缴费流水号重复"


def test_a_key_column_the_file_may_leave_out_is_refused():
    with pytest.raises(ImproperlyConfigured):
        Importer(
            kind="x", label="x", headers={"编号": "code", "备注": "note"}, required=("编号",),
            key_columns=("备注",), create=lambda **kwargs: None,
        )  # fmt: skip


def test_cancelling_a_batch_forgets_its_staged_keys(clerk_yuzhong, people, django_capture_on_commit_callbacks):
    # Queued but not yet run (the job's on_commit callback is not executed), so it can be cancelled.
    with django_capture_on_commit_callbacks(execute=False):
        batch = aid_recipient_batch_create(
            actor=clerk_yuzhong, fileobj=SimpleUploadedFile("a.csv", sample_csv(AID_HEADER, [])),
            original_name="a.csv", district_id=clerk_yuzhong.district_id, mode="atomic",
        )  # fmt: skip
    ImportKey.objects.create(batch_id=batch.pk, row_number=2, key="left by a killed worker")
    ImportKey.objects.create(batch_id=batch.pk + 1, row_number=2, key="another batch's")
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_cancel(actor=clerk_yuzhong, batch=batch)
    assert batch.status == ImportBatch.Status.CANCELLED
    assert list(ImportKey.objects.values_list("batch_id", flat=True)) == [batch.pk + 1]
