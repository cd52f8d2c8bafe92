"""What can go wrong between the preview and the confirmation, and bad cells that must not break a batch."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from contributions.models import ContributionBill
from contributions.services import contribution_bill_issue
from core.models import ImportBatch, ImportRowError
from enrollment.importing.pipeline import import_batch_confirm, import_batch_revalidate
from enrollment.models import Enrollment, ImportStagingRow, Person
from enrollment.services import enrollment_register, enrollment_transfer, person_register
from tests.factories import ResidentEnrollmentFactory, make_id_number
from tests.test_import import good_rows, row, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def employer(districts):
    from enrollment.models import Employer
    from tests.test_import import make_credit_code

    return Employer.objects.create(credit_code=make_credit_code(8), name="重庆乙公司", district=districts["500103"])


def validated(clerk, rows, capture, mode="atomic"):
    with capture(execute=True):
        batch = upload(clerk, rows, mode=mode)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED
    return batch


def test_changes_since_the_preview_send_an_atomic_batch_back_to_the_preview(
    clerk_yuzhong, clerk_jiangbei, districts, employer, django_capture_on_commit_callbacks
):
    rows = good_rows(employer, n=3)
    batch = validated(clerk_yuzhong, rows, django_capture_on_commit_callbacks)
    # Meanwhile 江北 registers the first person under another name and enrolls them.
    other = person_register(actor=clerk_jiangbei, id_number=rows[0][1], name="王五", district_id=districts["500105"].pk)
    enrollment_register(
        actor=clerk_jiangbei, person=other, scheme="resident", category="adult", tier=1,
        district_id=districts["500105"].pk, start_date=dt.date(2023, 1, 1),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED
    assert batch.error_rows == 1
    messages = set(ImportRowError.objects.filter(batch=batch, row_number=2).values_list("message", flat=True))
    # The person is 江北's: the 渝中 uploader learns nothing of their record, only that the row cannot go in.
    assert "与其他区县已登记的信息不一致，请联系市级经办机构核实" in messages
    assert not any("江北" in m or "王五" in m for m in messages)
    assert Enrollment.objects.filter(district__code="500103").count() == 0
    other.refresh_from_db()
    assert other.district.code == "500105"
    with pytest.raises(ValidationError):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)


def test_changes_since_the_preview_skip_just_those_rows_in_per_row_mode(
    clerk_yuzhong, clerk_jiangbei, districts, employer, django_capture_on_commit_callbacks
):
    rows = good_rows(employer, n=3)
    batch = validated(clerk_yuzhong, rows, django_capture_on_commit_callbacks, mode="skip_invalid")
    other = person_register(
        actor=clerk_jiangbei, id_number=rows[0][1], name=rows[0][0], district_id=districts["500105"].pk
    )
    enrollment_register(
        actor=clerk_jiangbei, person=other, scheme="resident", category="adult", tier=1,
        district_id=districts["500105"].pk, start_date=dt.date(2023, 1, 1),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED
    assert batch.counts["created_enrollments"] == 2 and batch.counts["changed_since_preview"] == 1
    other.refresh_from_db()
    assert other.district.code == "500105"  # not moved: they are enrolled in 江北
    assert ImportRowError.objects.get(batch=batch).message.startswith("重复参保")


def test_lost_staging_fails_the_batch_and_revalidation_recovers_it(
    clerk_yuzhong, employer, django_capture_on_commit_callbacks
):
    batch = validated(clerk_yuzhong, good_rows(employer, n=3), django_capture_on_commit_callbacks)
    ImportStagingRow.objects.filter(batch_id=batch.pk).delete()  # as crash recovery empties UNLOGGED tables
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and "暂存数据已丢失" in batch.error
    assert not Enrollment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_revalidate(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED and batch.valid_rows == 3
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    assert Enrollment.objects.count() == 3


def test_an_apply_error_leaves_the_batch_failed_not_stuck(clerk_yuzhong, employer, django_capture_on_commit_callbacks):
    batch = validated(clerk_yuzhong, good_rows(employer, n=2), django_capture_on_commit_callbacks)
    with (
        mock.patch("enrollment.importing.pipeline.sql.INSERT_ENROLLMENTS", "SELECT no_such_function()"),
        pytest.raises(Exception),  # noqa: B017 (any database error)
        django_capture_on_commit_callbacks(execute=True),
    ):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert not Person.objects.exists()


def test_bad_cells_are_row_errors_not_a_failed_batch(clerk_yuzhong, employer, django_capture_on_commit_callbacks):
    rows = [
        row("赵一", make_id_number(seq=611), scheme="职工医保", category="在职", tier="", employer=employer.credit_code,
            base="10000000000"),
        row("钱\x00二", make_id_number(seq=612)),
        row("孙三", "5001031980051700"),  # 16 digits: shown masked but for the area code
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, rows, mode="skip_invalid")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED and batch.error_rows == 3
    errors = {e.row_number: e for e in ImportRowError.objects.filter(batch=batch)}
    assert "小于一百亿" in errors[2].message
    assert "控制字符" in errors[3].message
    assert errors[4].value == "500103" + "*" * 10


def test_issuing_a_bill_never_returns_another_districts_bill(clerk_yuzhong, clerk_jiangbei, districts):
    enrollment = ResidentEnrollmentFactory()
    contribution_bill_issue(actor=clerk_yuzhong, enrollment=enrollment, coverage_year=2023)
    transfer = enrollment_transfer(
        actor=clerk_yuzhong, enrollment=enrollment, to_district_id=districts["500105"].pk,
        transfer_date=dt.date(2023, 7, 1),
    )  # fmt: skip
    ContributionBill.objects.update(district=districts["500105"])  # the bill moved with the person
    with pytest.raises(ValidationError) as exc:
        contribution_bill_issue(actor=clerk_yuzhong, enrollment=transfer.from_enrollment, coverage_year=2023)
    assert "由其他区县管理" in str(exc.value)


def test_a_returning_person_is_moved_with_an_audit_event(
    clerk_yuzhong, clerk_jiangbei, districts, employer, django_capture_on_commit_callbacks
):
    from core.models import AuditEvent
    from enrollment.services import enrollment_terminate

    number = make_id_number(seq=620)
    person = person_register(actor=clerk_jiangbei, id_number=number, name="周六", district_id=districts["500105"].pk)
    old = enrollment_register(
        actor=clerk_jiangbei, person=person, scheme="resident", category="adult", tier=1,
        district_id=districts["500105"].pk, start_date=dt.date(2022, 1, 1),
    )  # fmt: skip
    enrollment_terminate(actor=clerk_jiangbei, enrollment=old, end_date=dt.date(2022, 12, 31), reason="moved_away")
    batch = validated(clerk_yuzhong, [row("周六", number)], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    person.refresh_from_db()
    assert person.district.code == "500103"
    event = AuditEvent.objects.get(
        object_type="enrollment.person", object_id=str(person.pk), note=f"批量导入 #{batch.pk}"
    )
    assert (event.actor, event.old_values, event.new_values) == (
        clerk_yuzhong,
        {"district_id": districts["500105"].pk},
        {"district_id": districts["500103"].pk},
    )
