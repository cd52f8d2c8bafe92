"""Aid-recipient lists from civil affairs / rural revitalisation: matched to registered people,
refused rows listed with row, column and reason, re-imports create nothing, atomic mode all or nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from assistance.importing import aid_recipient_batch_create
from assistance.models import AidRecipient
from core.importing.reader import sample_csv
from core.models import AuditEvent, District, ImportBatch, ImportRowError
from tests.factories import PersonFactory, make_id_number

pytestmark = pytest.mark.django_db
HEADER = ["姓名", "身份证号", "救助类别", "认定开始日期", "认定截止日期", "数据来源"]


@pytest.fixture
def people(districts):
    yz = [PersonFactory(name="张一"), PersonFactory(name="张二")]
    jb = PersonFactory(name="江北人", district=District.objects.get(code="500105"))
    return yz, jb


def upload(actor, rows, *, capture, mode="skip_invalid", source="civil_affairs", district_id="actor", header=HEADER):
    data = sample_csv(header, rows)
    with capture(execute=True):
        batch = aid_recipient_batch_create(
            actor=actor,
            fileobj=SimpleUploadedFile("救助对象.csv", data),
            original_name="救助对象.csv",
            district_id=actor.district_id if district_id == "actor" else district_id,
            mode=mode,
            source=source,
        )
    batch.refresh_from_db()
    return batch


def errors(batch) -> list[tuple[int, str, str]]:
    return list(
        ImportRowError.objects.filter(batch=batch)
        .order_by("row_number", "id")
        .values_list("row_number", "field", "message")
    )


def test_happy_path_then_reimport_creates_nothing(clerk_yuzhong, people, django_capture_on_commit_callbacks):
    (a, b), _ = people
    rows = [
        [a.name, a.id_number, "特困人员", "2023-01-01", "", ""],
        [b.name, b.id_number.lower(), "低保", "2023/02/01", "2023-12-31", "乡村振兴"],
        [a.name, a.id_number, "监测对象", "2023-03-01", "", "医保"],
    ]
    batch = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert batch.kind == ImportBatch.Kind.AID_RECIPIENTS
    assert batch.status == ImportBatch.Status.IMPORTED
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (3, 3, 0)
    assert batch.counts["recipients_created"] == 3
    got = set(
        AidRecipient.objects.values_list("person_id", "category", "valid_from", "valid_to", "source", "district_id")
    )
    assert got == {
        (a.pk, "destitute", dt.date(2023, 1, 1), None, "civil_affairs", a.district_id),
        (b.pk, "subsistence", dt.date(2023, 2, 1), dt.date(2023, 12, 31), "rural", b.district_id),
        (a.pk, "monitored", dt.date(2023, 3, 1), None, "bureau", a.district_id),
    }
    assert set(AidRecipient.objects.values_list("import_batch_id", flat=True)) == {batch.pk}
    event = AuditEvent.objects.filter(object_type="core.importbatch", object_id=str(batch.pk)).last()
    assert event.new_values["recipients_created"] == 3 and event.new_values["status"] == "imported"

    again = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert again.status == ImportBatch.Status.IMPORTED
    assert again.counts["recipients_created"] == 0 and again.counts["unchanged"] == 3
    assert AidRecipient.objects.count() == 3


def test_a_new_end_date_in_a_later_list_updates_the_record(clerk_yuzhong, people, django_capture_on_commit_callbacks):
    (a, _), _ = people
    upload(
        clerk_yuzhong, [[a.name, a.id_number, "脱贫", "2023-01-01", "", ""]], capture=django_capture_on_commit_callbacks
    )
    later = upload(
        clerk_yuzhong, [[a.name, a.id_number, "脱贫人口", "2023-01-01", "2023-09-30", ""]],
        capture=django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert later.counts["recipients_updated"] == 1 and later.counts["recipients_created"] == 0
    assert AidRecipient.objects.get().valid_to == dt.date(2023, 9, 30)


def test_every_row_error_has_row_column_and_reason(clerk_yuzhong, people, django_capture_on_commit_callbacks):
    (a, b), jb = people
    unknown = make_id_number(birth=dt.date(1970, 1, 1), seq=999)
    rows = [
        [a.name, a.id_number, "特困", "2023-01-01", "", ""],  # 2: good
        ["", b.id_number, "低保", "2023-01-01", "", ""],  # 3: no name
        ["某人", "50010319800101001", "低保", "2023-01-01", "", ""],  # 4: 17 characters
        [b.name, b.id_number, "五保", "2023-01-01", "", ""],  # 5: unknown category
        [b.name, b.id_number, "低保", "2023-13-01", "", ""],  # 6: bad start date
        [b.name, b.id_number, "低保", "2023-05-01", "2023-04-30", ""],  # 7: end before start
        [b.name, b.id_number, "低保", "2023-05-01", "明年", ""],  # 8: bad end date
        [b.name, b.id_number, "低保", "2023-05-01", "", "街道"],  # 9: bad source
        ["无名", unknown, "低保", "2023-01-01", "", ""],  # 10: not registered
        ["张三丰", b.id_number, "低保", "2023-01-01", "", ""],  # 11: name differs
        [jb.name, jb.id_number, "低保", "2023-01-01", "", ""],  # 12: another district's person
        [a.name, a.id_number, "特困人员", "2023-01-01", "", ""],  # 13: duplicate of row 2
    ]
    batch = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks)
    assert batch.status == ImportBatch.Status.IMPORTED
    # row 10 (nobody registered) waits on the 待参保 worklist instead of being refused (002: 应保尽保)
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (12, 2, 10)
    assert errors(batch) == [
        (3, "姓名", "姓名不能为空，且不超过50个字"),
        (4, "身份证号", "身份证号应为18位，实际为17位"),
        (5, "救助类别", "救助类别无效，应为特困人员、低保对象、返贫致贫人口、监测对象、低保边缘家庭成员或脱贫人口"),
        (6, "认定开始日期", "认定开始日期格式应为 YYYY-MM-DD"),
        (7, "认定截止日期", "认定截止日期不能早于认定开始日期"),
        (8, "认定截止日期", "认定截止日期格式应为 YYYY-MM-DD"),
        (9, "数据来源", "数据来源无效，应为民政、乡村振兴或医保"),
        (11, "姓名", "姓名与登记信息不符"),
        (12, "身份证号", "该身份证号未在本区县参保登记"),
        (13, "身份证号", "与文件第2行重复（同一人、同一救助类别、同一开始日期）"),
    ]
    # Nothing about the other district's person shows: same words as an unknown number, masked value.
    row12 = ImportRowError.objects.get(batch=batch, row_number=12)
    assert jb.id_number not in row12.value and "江北" not in row12.message
    assert list(AidRecipient.objects.values_list("person_id", "category")) == [(a.pk, "destitute")]


def test_city_wide_import_says_not_registered_and_uses_person_district(
    municipal_admin, people, django_capture_on_commit_callbacks
):
    (a, _), jb = people
    unknown = make_id_number(birth=dt.date(1970, 1, 1), seq=998)
    rows = [[jb.name, jb.id_number, "返贫致贫", "2023-01-01", "", ""], ["无名", unknown, "低保", "2023-01-01", "", ""]]
    batch = upload(municipal_admin, rows, capture=django_capture_on_commit_callbacks, district_id=None)
    assert errors(batch) == [(3, "区县", "该身份证号未参保登记；全市名单须在“区县”列写明其所在区县")]
    assert AidRecipient.objects.get().district_id == jb.district_id


def test_atomic_mode_writes_nothing_when_one_row_is_bad(clerk_yuzhong, people, django_capture_on_commit_callbacks):
    (a, b), _ = people
    rows = [
        [a.name, a.id_number, "特困", "2023-01-01", "", ""],
        [b.name, b.id_number, "低保", "2023-01-01", "", ""],
        ["错名", b.id_number, "监测", "2023-01-01", "", ""],
    ]
    batch = upload(clerk_yuzhong, rows, capture=django_capture_on_commit_callbacks, mode="atomic")
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.counts["recipients_created"] == 0 and batch.error_rows == 1
    assert errors(batch) == [(4, "姓名", "姓名与登记信息不符")]
    assert AidRecipient.objects.count() == 0

    good = upload(clerk_yuzhong, rows[:2], capture=django_capture_on_commit_callbacks, mode="atomic")
    assert good.status == ImportBatch.Status.IMPORTED and AidRecipient.objects.count() == 2


def test_missing_column_is_a_file_problem(clerk_yuzhong, people, django_capture_on_commit_callbacks):
    (a, _), _ = people
    batch = upload(
        clerk_yuzhong, [[a.name, a.id_number, "2023-01-01"]], capture=django_capture_on_commit_callbacks,
        header=["姓名", "身份证号", "认定开始日期"],
    )  # fmt: skip
    assert batch.status == ImportBatch.Status.FAILED
    assert errors(batch) == [(1, "", "缺少必需的列：救助类别（读到第1行）")]
    assert AidRecipient.objects.count() == 0


def test_clerk_cannot_import_for_another_district(clerk_yuzhong, people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        aid_recipient_batch_create(
            actor=clerk_yuzhong, fileobj=SimpleUploadedFile("a.csv", sample_csv(HEADER, [])), original_name="a.csv",
            district_id=District.objects.get(code="500105").pk, mode="atomic",
        )  # fmt: skip
    assert ImportBatch.objects.count() == 0


def test_management_command(people, tmp_path, capsys, django_capture_on_commit_callbacks):
    (a, _), _ = people
    path = tmp_path / "list.csv"
    path.write_bytes(sample_csv(HEADER, [[a.name, a.id_number, "低保边缘", "2023-01-01", "", ""]]))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_aid_recipients", str(path), "--district", "500103", "--source", "rural")
    assert "batch" in capsys.readouterr().out
    assert ImportBatch.objects.get().status == ImportBatch.Status.IMPORTED
    recipient = AidRecipient.objects.get()
    assert (recipient.category, recipient.source) == ("near_subsistence", "rural")
