"""The enrollee-list import: dry run with every bad row, confirm, atomic or per-row, idempotent."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core.importing.reader import sample_csv
from core.models import AuditEvent, ImportBatch, ImportRowError, JobRun
from enrollment.importing.columns import HEADERS
from enrollment.importing.pipeline import import_batch_confirm, import_batch_create
from enrollment.models import (
    Employer,
    Enrollment,
    ImportStagingRow,
    Person,
)
from tests.factories import make_credit_code, make_id_number

pytestmark = pytest.mark.django_db

HEADER = list(HEADERS)
START = dt.date(2023, 1, 1)


@pytest.fixture
def employer(districts):
    return Employer.objects.create(
        credit_code=make_credit_code(7), name="重庆示例科技有限公司", district=districts["500103"]
    )


def row(
    name, id_number, *, scheme="居民医保", category="成年居民", tier="一档", district="500103", employer="", base=""
):
    if len(id_number) != 18:
        return [name, id_number, "", "", district, scheme, category, tier, "", employer, base]
    gender = "男" if int(id_number[16]) % 2 else "女"
    birth = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
    return [name, id_number, gender, birth, district, scheme, category, tier, "13800138000", employer, base]


def upload(actor, rows, *, mode="atomic", name="名单.csv", district_id=None, content=None):
    data = content if content is not None else sample_csv(HEADER, rows)
    return import_batch_create(
        actor=actor,
        fileobj=SimpleUploadedFile(name, data),
        original_name=name,
        district_id=district_id if district_id is not None else actor.district_id,
        mode=mode,
        effective_date=START,
    )


def good_rows(employer, n=3):
    ids = [make_id_number(birth=dt.date(1970 + i, 3, 4), seq=100 + i) for i in range(n)]
    rows = [row("张" + "伟芳娜秀英敏静丽"[i], ids[i]) for i in range(n - 1)]
    rows.append(
        row("李四", ids[-1], scheme="职工医保", category="在职", tier="", employer=employer.credit_code, base="6500.50")
    )
    return rows


def test_dry_run_then_confirm_imports_everything(clerk_yuzhong, employer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, good_rows(employer))
    batch.refresh_from_db()
    # The preview wrote nothing real.
    assert batch.status == ImportBatch.Status.VALIDATED
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (3, 3, 0)
    assert batch.counts["new_persons"] == 3 and batch.counts["new_enrollments"] == 3
    assert Person.objects.count() == 0
    assert ImportStagingRow.objects.filter(batch_id=batch.pk).count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        run = import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    run.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED
    assert run.status == JobRun.Status.SUCCEEDED
    assert batch.counts["created_persons"] == 3 and batch.counts["created_enrollments"] == 3
    employee = Enrollment.objects.get(scheme="employee")
    assert employee.employer == employer
    assert str(employee.contribution_base) == "6500.50"
    assert employee.import_batch_id == batch.pk and employee.start_date == START
    assert Enrollment.objects.filter(status="active", district__code="500103").count() == 3
    assert ImportStagingRow.objects.filter(batch_id=batch.pk).count() == 0
    assert AuditEvent.objects.filter(action="import", object_id=str(batch.pk), new_values__status="imported").exists()


def test_reimporting_the_same_file_changes_nothing(clerk_yuzhong, employer, django_capture_on_commit_callbacks):
    rows = good_rows(employer)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            batch = upload(clerk_yuzhong, rows)
        batch.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    assert batch.counts["already_enrolled"] == 3
    assert batch.counts["created_persons"] == 0 and batch.counts["created_enrollments"] == 0
    assert Person.objects.count() == 3 and Enrollment.objects.count() == 3


def test_every_bad_row_is_listed_with_row_number_and_reason(
    clerk_yuzhong, employer, django_capture_on_commit_callbacks
):
    good = good_rows(employer, n=2)
    dup_id = good[0][1]
    bad_check = good[1][1][:17] + ("0" if good[1][1][17] != "0" else "1")
    rows = [
        *good,  # rows 2 and 3
        row("王五", bad_check),  # row 4: check digit
        row("赵六", "500103800517001"),  # row 5: 15-digit legacy
        row("", make_id_number(seq=201)),  # row 6: no name
        row("孙七", make_id_number(seq=202), district="999999"),  # row 7: unknown district
        row("周八", make_id_number(seq=203), district="500105"),  # row 8: other district than the clerk's
        row("吴九", make_id_number(seq=204), tier=""),  # row 9: resident without tier
        row("郑十", dup_id),  # row 10: same person as row 2
        row(
            "钱一",
            make_id_number(seq=205),
            scheme="职工医保",
            category="在职",
            tier="",
            employer=make_credit_code(99),
            base="5000",
        ),  # row 11: unregistered employer
        row("冯二", make_id_number(seq=206), scheme="职工医保", category="成年居民", tier="", base="5000"),  # row 12
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, rows)
    batch.refresh_from_db()
    errors = {(e.row_number, e.field): e.message for e in ImportRowError.objects.filter(batch=batch)}
    assert errors[(4, "身份证号")] == "身份证号校验位错误"
    assert "15位" in errors[(5, "身份证号")]
    assert errors[(6, "姓名")] == "姓名不能为空"
    assert errors[(7, "区县代码")] == "区县代码不存在"
    assert errors[(8, "区县代码")] == "只能导入本人所属区县的人员"
    assert "档次" in errors[(9, "档次")]
    assert errors[(10, "身份证号")] == "与文件第2行的身份证号重复"
    assert errors[(11, "单位信用代码")] == "参保单位未登记，请先登记该单位"
    assert errors[(12, "人员类别")] == "人员类别与险种不符"
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (11, 2, 9)

    # Atomic mode: nothing may be imported while any row is wrong.
    with pytest.raises(ValidationError) as exc:
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    assert "整批导入模式下有 9 行错误" in str(exc.value)
    assert Person.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED


def test_per_row_mode_imports_the_good_rows_only(clerk_yuzhong, employer, django_capture_on_commit_callbacks):
    rows = [*good_rows(employer, n=2), row("", make_id_number(seq=301))]
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, rows, mode="skip_invalid")
    batch.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    batch.refresh_from_db()
    assert batch.counts["created_enrollments"] == 2
    assert Person.objects.count() == 2


def test_duplicate_enrollment_against_the_database_is_refused(
    clerk_yuzhong, employer, django_capture_on_commit_callbacks
):
    rows = good_rows(employer, n=2)
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, rows)
    batch.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    # The same person now listed as tier 2: a second, different enrollment is 重复参保.
    changed = [row("张伟", rows[0][1], tier="二档")]
    with django_capture_on_commit_callbacks(execute=True):
        again = upload(clerk_yuzhong, changed)
    again.refresh_from_db()
    error = ImportRowError.objects.get(batch=again)
    assert error.row_number == 2 and error.message.startswith("重复参保：该人员已在渝中区参加居民医保")


def test_xlsx_with_numeric_id_column_is_explained(clerk_yuzhong, employer, django_capture_on_commit_callbacks):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    good = good_rows(employer, n=2)[0]
    sheet.append(good)
    broken = row("陈三", make_id_number(seq=401))
    broken[1] = float(broken[1][:17] + "0")
    sheet.append(broken)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, [], name="名单.xlsx", content=buffer.getvalue())
    batch.refresh_from_db()
    assert (batch.total_rows, batch.valid_rows) == (2, 1)
    assert "存为数字" in ImportRowError.objects.get(batch=batch).message


def test_missing_columns_and_wrong_file_type(clerk_yuzhong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, [], content="姓名,性别\n张三,男\n".encode())
    batch.refresh_from_db()
    error = ImportRowError.objects.get(batch=batch)
    assert (error.row_number, error.message) == (1, "缺少必需的列：身份证号、区县代码、险种、人员类别")
    with pytest.raises(ValidationError):
        upload(clerk_yuzhong, [], name="名单.txt", content=b"x")


def test_gb18030_csv_from_excel_is_read(clerk_yuzhong, employer, django_capture_on_commit_callbacks):
    content = sample_csv(HEADER, good_rows(employer, n=2)).decode("utf-8").encode("gb18030")
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, [], content=content)
    batch.refresh_from_db()
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (2, 2, 0)


def test_other_district_cannot_upload_for_yuzhong(reviewer_jiangbei, districts):
    with pytest.raises(ValidationError):
        upload(reviewer_jiangbei, [], district_id=districts["500103"].pk, content=b"x")
    assert ImportBatch.objects.count() == 0


# Issue 11, finding 10: a header-only list cannot be confirmed; 确认导入 has a confirmation step; a row
# refused because the person is already registered links to that person (when the user may see them).


def test_header_only_list_ends_rejected_with_a_message(client_for, clerk_yuzhong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, [])
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED and batch.valid_rows == 0
    assert batch.error.startswith("文件中没有数据行")
    client = client_for(clerk_yuzhong)
    detail = client.get(reverse("core:import_detail", args=[batch.pk])).content.decode()
    assert "文件中没有数据行" in detail and "确认导入" not in detail
    with pytest.raises(ValidationError):
        import_batch_confirm(actor=clerk_yuzhong, batch=batch)
    assert not Person.objects.exists()


def test_confirm_page_says_what_will_be_written(
    client_for, clerk_yuzhong, employer, django_capture_on_commit_callbacks
):
    rows = [*good_rows(employer, n=3), row("坏号", "500103198001011234")]
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, rows, mode="skip_invalid")
    batch.refresh_from_db()
    assert (batch.status, batch.valid_rows, batch.error_rows) == (ImportBatch.Status.VALIDATED, 3, 1)
    client = client_for(clerk_yuzhong)
    detail = client.get(reverse("core:import_detail", args=[batch.pk])).content.decode()
    assert reverse("core:import_confirm", args=[batch.pk]) in detail  # the button leads to the confirmation
    page = client.get(reverse("core:import_confirm", args=[batch.pk])).content.decode()
    assert "将写入 3 行，跳过 1 行错误行。" in page
    assert "将新增参保人" in page and "确认写入" in page
    assert not Person.objects.exists()  # the confirmation page writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:import_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED and Person.objects.count() == 3


def test_refused_row_links_to_the_registered_person_in_scope(
    client_for, clerk_yuzhong, reviewer_jiangbei, make_user, employer, django_capture_on_commit_callbacks
):
    number = make_id_number(birth=dt.date(1966, 6, 6), seq=77)
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(clerk_yuzhong, [row("王五", number)])
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(actor=clerk_yuzhong, batch=first)
    person = Person.objects.get(id_number=number)
    # The same person again, now as tier 2: 重复参保, and another name: both name the registered person.
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(clerk_yuzhong, [row("王五", number, tier="二档"), row("王六", number)], mode="skip_invalid")
    link = reverse("enrollment:person_detail", args=[person.pk])
    page = client_for(clerk_yuzhong).get(reverse("core:import_detail", args=[batch.pk])).content.decode()
    assert "重复参保" in page and f'href="{link}"' in page and "查看已登记的参保人" in page
    # A city-wide auditor sees the person, so the link is there; staff of another district do not.
    auditor = make_user("auditor_link", "auditor")
    assert f'href="{link}"' in client_for(auditor).get(reverse("core:import_detail", args=[batch.pk])).content.decode()
    other = make_user("clerk_jb_link", "district_clerk", "500105")
    with django_capture_on_commit_callbacks(execute=True):
        theirs = upload(other, [row("王五", number, district="500105")], district_id=other.district_id)
    page = client_for(other).get(reverse("core:import_detail", args=[theirs.pk])).content.decode()
    assert "其他区县" in page and link not in page
