"""Issue 13, must-show 4: a person's name must look like a name, at import, in the form and in the API.

One rule (enrollment.validators.validate_person_name): Chinese characters (the extension blocks
included), Latin letters, and between words the middle dot, a space, a hyphen or an apostrophe.
Anything that could start a formula, markup, digits or control characters is refused, naming the field.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.importing.reader import sample_csv
from core.models import ImportBatch, ImportRowError
from enrollment.importing.columns import HEADERS
from enrollment.importing.pipeline import import_batch_create
from enrollment.management.commands import seed_demo_people
from enrollment.models import Person
from enrollment.validators import InvalidValue, validate_person_name
from tests.factories import make_id_number

HOSTILE = '=HYPERLINK("http://evil.example/","点我")'


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("张三", "张三"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),  # the Japanese-style dot some input methods type
        ("𠮷野家", "𠮷野家"),  # CJK extension B
        ("Mary-Jane O'Neil", "Mary-Jane O'Neil"),
        ("José  García", "José García"),
        (" 李四 ", "李四"),
    ],
)
def test_real_names_are_accepted(raw, stored):
    assert validate_person_name(raw) == stored


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (HOSTILE, "不允许的字符“=”"),
        ("@SUM(1+1)", "不允许的字符“@”"),
        ("+张三", "不允许的字符“+”"),
        ("-张三", "格式错误"),
        ("张三1", "不允许的字符“1”"),
        ("<script>", "不允许的字符“<”"),
        ("张\t三", "控制字符 U+0009"),
        ("张\x00三", "控制字符 U+0000"),
        ("张三·", "格式错误"),
        ("", "不能为空"),
        ("张" * 51, "不能超过50个字符"),
    ],
)
def test_anything_else_is_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidValue) as refused:
        validate_person_name(raw)
    assert str(refused.value).startswith("姓名") and reason in str(refused.value)


@pytest.mark.django_db
def test_hostile_name_is_a_row_error_at_import(clerk_yuzhong, django_capture_on_commit_callbacks):
    number = make_id_number(area="500103", birth=dt.date(1980, 5, 17), seq=123)
    good = make_id_number(area="500103", birth=dt.date(1981, 5, 17), seq=124)
    rows = [
        [HOSTILE, number, "", "1980-05-17", "500103", "居民医保", "成年居民", "一档", "", "", ""],
        ["王五", good, "", "1981-05-17", "500103", "居民医保", "成年居民", "一档", "", "", ""],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch = import_batch_create(
            actor=clerk_yuzhong,
            fileobj=SimpleUploadedFile("名单.csv", sample_csv(list(HEADERS), rows)),
            original_name="名单.csv",
            district_id=clerk_yuzhong.district_id,
            mode=ImportBatch.Mode.SKIP_INVALID,
            effective_date=dt.date(2023, 1, 1),
        )
    batch.refresh_from_db()
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (2, 1, 1)
    error = ImportRowError.objects.get(batch=batch)
    assert (error.row_number, error.field) == (2, "姓名")
    assert "不允许的字符“=”" in error.message


@pytest.mark.django_db
def test_hostile_name_is_refused_by_the_register_form(client_for, clerk_yuzhong, districts):
    number = make_id_number(area="500103", birth=dt.date(1980, 5, 17), seq=123)
    response = client_for(clerk_yuzhong).post(
        reverse("enrollment:person_register"),
        {
            "id_number": number,
            "name": HOSTILE,
            "district": districts["500103"].pk,
            "scheme": "resident",
            "category": "adult",
            "tier": "1",
            "start_date": "2023-01-01",
        },
    )
    assert response.status_code == 200
    assert "姓名含有不允许的字符“=”" in response.content.decode()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_hostile_name_is_refused_by_the_api_with_400(client_for, clerk_yuzhong, districts):
    number = make_id_number(area="500103", birth=dt.date(1980, 5, 17), seq=123)
    payload = {
        "id_number": number,
        "name": "@SUM(1+1)*cmd",
        "district_code": "500103",
        "scheme": "resident",
        "category": "adult",
        "tier": 1,
        "start_date": "2023-01-01",
    }
    response = client_for(clerk_yuzhong).post("/api/v1/persons/", payload, content_type="application/json")
    assert response.status_code == 400
    [message] = response.json()["name"]
    assert "姓名含有不允许的字符“@”" in message
    assert not Person.objects.exists()


def test_the_demo_names_are_valid():
    """The demo seed's names (seed_demo_people) pass the rule."""
    for surname in seed_demo_people.SURNAMES:
        for given in seed_demo_people.GIVEN:
            assert validate_person_name(surname + given + given) == surname + given + given
