"""Admin-side import/export (django-import-export): same checks, audited, IDs masked in exports."""

import pytest
import tablib
from django.urls import reverse

from core.models import AuditEvent
from enrollment.models import Employer
from enrollment.resources import EmployerResource, PersonExportResource
from tests.factories import PersonFactory, make_credit_code

pytestmark = pytest.mark.django_db


def employers_dataset(rows):
    return tablib.Dataset(*rows, headers=["统一社会信用代码", "单位名称", "区县代码"])


def test_employer_import_creates_audited_rows_and_reimport_changes_nothing(districts, municipal_admin):
    code = make_credit_code(501)
    data = employers_dataset([[code.lower(), "重庆甲公司", "500103"]])
    result = EmployerResource().import_data(data, dry_run=False, user=municipal_admin)
    assert not result.has_errors() and not result.has_validation_errors()
    employer = Employer.objects.get()
    assert (employer.credit_code, employer.district.code) == (code, "500103")
    event = AuditEvent.objects.get(object_type="enrollment.employer")
    assert event.actor == municipal_admin and event.new_values["credit_code"] == code

    again = EmployerResource().import_data(data, dry_run=False, user=municipal_admin)
    assert again.totals["skip"] == 1 and Employer.objects.count() == 1


def test_employer_import_with_a_bad_row_writes_nothing(districts, municipal_admin):
    good, bad = make_credit_code(502), make_credit_code(503)[:17] + "0"
    if bad == make_credit_code(503):
        bad = bad[:17] + "1"
    data = employers_dataset([[good, "甲", "500103"], [bad, "乙", "500103"], [make_credit_code(504), "丙", "999999"]])
    result = EmployerResource().import_data(data, dry_run=False, user=municipal_admin, raise_errors=False)
    assert result.has_validation_errors()
    messages = {str(row.number): row.error_dict for row in result.invalid_rows}
    assert "统一社会信用代码校验位错误" in str(messages)
    assert "区县代码不存在" in str(messages)
    assert Employer.objects.count() == 0


def test_person_export_masks_id_numbers(districts):
    person = PersonFactory()
    exported = PersonExportResource().export()
    assert person.id_number not in exported.csv
    assert person.masked_id_number in exported.csv


def test_admin_is_for_municipal_admins_only(client_for, municipal_admin, clerk_yuzhong):
    url = reverse("admin:enrollment_employer_changelist")
    assert client_for(municipal_admin).get(url).status_code == 200
    assert client_for(clerk_yuzhong).get(url).status_code == 302  # to the admin login: not staff
