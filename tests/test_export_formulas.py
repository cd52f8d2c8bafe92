"""Issue 13, must-show 4: no exported cell runs as a formula in Excel, WPS or LibreOffice.

A value already in the database that starts with = + - @ (put there before names were checked, or by
SQL) comes out of the admin's django-import-export exports (CSV and XLSX, the same resource and format
calls the admin's export view makes) and the product's own CSV as text.
"""

import csv
import io

import pytest
from django.urls import reverse
from import_export.formats.base_formats import CSV, XLSX
from openpyxl import load_workbook

from core.export import cell_inert
from core.models import ImportBatch, ImportRowError
from enrollment.models import Employer, Person
from enrollment.resources import EmployerResource, PersonExportResource
from tests.factories import PersonFactory, make_credit_code

pytestmark = pytest.mark.django_db

LIVE = ['=HYPERLINK("http://evil.example/","点我")', "@SUM(A1:A9)", "+1+1", "-2+3", "\t=1+1"]


def test_cell_inert_prefixes_formula_starts_and_leaves_the_rest():
    assert [cell_inert(v) for v in LIVE] == ["'" + v for v in LIVE]
    assert [cell_inert(v) for v in ("张三", "", -5, None)] == ["张三", "", -5, None]


def _people_with_live_names(districts) -> None:
    for i, name in enumerate(LIVE):
        person = PersonFactory(district=districts["500103"])
        Person.objects.filter(pk=person.pk).update(name=name)  # straight into the database, no check
        Employer.objects.create(credit_code=make_credit_code(i + 1), name=name, district=districts["500103"])


def _no_live_cell(values: list) -> None:
    for value in values:
        assert not str(value).startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_admin_csv_export_is_inert(districts):
    _people_with_live_names(districts)
    for resource, column in ((PersonExportResource(), "姓名"), (EmployerResource(), "单位名称")):
        exported = CSV().export_data(resource.export())
        rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
        names = [row[column] for row in rows]
        assert len(names) == len(LIVE)
        _no_live_cell(names)
        assert "'@SUM(A1:A9)" in names and "'+1+1" in names


def test_admin_xlsx_export_is_inert(districts):
    _people_with_live_names(districts)
    exported = XLSX().export_data(PersonExportResource().export())
    sheet = load_workbook(io.BytesIO(exported)).active
    header = [cell.value for cell in sheet[1]]
    column = header.index("姓名")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == len(LIVE)
    # A formula cell has data_type "f"; every name must be a plain text cell that does not start one.
    assert {cell.data_type for cell in cells} == {"s"}
    _no_live_cell([cell.value for cell in cells])
    assert '\'=HYPERLINK("http://evil.example/","点我")' in [cell.value for cell in cells]


def test_product_import_errors_csv_is_inert(client_for, clerk_yuzhong):
    batch = ImportBatch.objects.create(
        kind=ImportBatch.Kind.ENROLLEES,
        mode=ImportBatch.Mode.SKIP_INVALID,
        district_id=clerk_yuzhong.district_id,
        original_name="名单.csv",
        sha256="0" * 64,
        uploaded_by=clerk_yuzhong,
        status=ImportBatch.Status.VALIDATED,
    )
    for i, value in enumerate(LIVE, start=2):
        ImportRowError.objects.create(
            batch=batch, row_number=i, field="姓名", value=value, message="姓名含有不允许的字符"
        )
    response = client_for(clerk_yuzhong).get(reverse("core:import_errors_csv", args=[batch.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))[1:]
    values = [row[2] for row in rows]
    assert len(values) == len(LIVE)
    _no_live_cell(values)
