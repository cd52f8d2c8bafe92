"""The fast paths of list pages and list APIs (issue 14, point 5) give what Django and DRF would give.

`core.output_serializers.OutputSerializer` builds its fields once per class and reads plain attributes
directly; `detail_url` writes a row's link without resolving the URL per row. Both are checked against the
slow path they replace, on real rows, byte for byte."""

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.urls.base import set_script_prefix
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from audit.serializers import AuditEventOutput
from benefits.models import AnnualAccumulator, Institution, Settlement
from benefits.serializers import AccumulatorOutput, InstitutionOutput, SettlementOutput
from benefits.services import SettlementRequest, settlement_create
from core.models import AuditEvent, District, JobRun
from core.output_serializers import OutputSerializer
from core.serializers import DistrictOutput, JobRunOutput, MeOutput
from core.templatetags.yibao import detail_url
from enrollment.models import Enrollment, Person
from enrollment.serializers import EnrollmentOutput, PersonDetailOutput, PersonOutput
from tests.benefits_support import resident

pytestmark = pytest.mark.django_db
D = Decimal


def _json(serializer_class, rows) -> str:
    return json.dumps(serializer_class(rows, many=True).data, cls=JSONEncoder, ensure_ascii=False)


def _drf_json(serializer_class, rows, monkeypatch) -> str:
    """The same rows through DRF's own ModelSerializer (fields built per instance, get_attribute per value)."""
    with monkeypatch.context() as m:
        m.setattr(OutputSerializer, "get_fields", serializers.ModelSerializer.get_fields)
        m.setattr(OutputSerializer, "to_representation", serializers.ModelSerializer.to_representation)
        return _json(serializer_class, rows)


def test_output_serializers_give_drf_json(policy_2023, hospital_yz, institution_user, municipal_admin, monkeypatch):
    for number, day in (("ZY-1", dt.date(2023, 3, 1)), ("ZY-2", dt.date(2023, 4, 1))):
        person = resident()
        request = SettlementRequest(
            settlement_number=number, id_number=person.id_number, benefit_type="inpatient",
            service_date=day, discharge_date=day + dt.timedelta(days=9),
            total_cost=D("12000.00"), eligible_cost=D("10000.00"),
        )  # fmt: skip
        settlement_create(actor=institution_user, institution=hospital_yz, request=request)
    cases = {
        SettlementOutput: Settlement.objects.select_related("person", "institution"),
        AccumulatorOutput: AnnualAccumulator.objects.all(),
        PersonOutput: Person.objects.all(),
        PersonDetailOutput: Person.objects.all(),
        EnrollmentOutput: Enrollment.objects.select_related("person", "district", "employer"),
        InstitutionOutput: Institution.objects.filter(district__isnull=False),
        DistrictOutput: District.objects.all(),
        AuditEventOutput: AuditEvent.objects.all(),
        MeOutput: [municipal_admin, institution_user],
        JobRunOutput: JobRun.objects.all(),
    }
    for serializer_class, rows in cases.items():
        rows = list(rows)
        assert rows or serializer_class is JobRunOutput, serializer_class
        fast = _json(serializer_class, rows)
        assert fast == _drf_json(serializer_class, rows, monkeypatch), serializer_class
    settlement = json.loads(_json(SettlementOutput, Settlement.objects.order_by("settlement_number")))
    assert [s["settlement_number"] for s in settlement] == ["ZY-1", "ZY-2"]
    assert settlement[0]["total_cost"] == "12000.00" and settlement[0]["person_id_number"].count("*") > 0


def test_fields_are_built_once_per_class_and_copied_per_serializer():
    first, second = SettlementOutput().fields, SettlementOutput().fields
    assert list(first) == list(second) and first["total_cost"] is not second["total_cost"]
    assert first["total_cost"].parent is not second["total_cost"].parent


def _names_in_templates() -> set[str]:
    found = set()
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        found.update(re.findall(r"\|detail_url:'([a-z_:]+)'", path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("prefix", ["/", "/yibao/"])
def test_detail_url_is_what_url_gives_for_every_name_the_templates_use(prefix):
    names = _names_in_templates()
    assert "benefits:settlement_detail" in names and len(names) >= 10
    set_script_prefix(prefix)
    try:
        for name in sorted(names):
            for pk in (1, 42, 10**12):
                assert detail_url(pk, name) == reverse(name, args=[pk]), name
    finally:
        set_script_prefix("/")
