"""两病门诊用药保障 (issue 15, finding 3): 高血压 and 糖尿病 are not 门诊慢特病.

002 (渝医保发〔2022〕25号): "继续做好高血压、糖尿病门诊用药保障。完善居民医保门诊特殊疾病待遇水平" — the two
diseases are an outpatient medication cover of their own, next to (not inside) the special-disease list.
"""

import datetime as dt
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from benefits.chronic_applications import chronic_application_submit, chronic_catalogue
from benefits.models import ChronicDisease, ChronicRegistration
from benefits.models.chronic import DiseaseKind
from benefits.services import chronic_registration_create
from tests.benefits_support import resident

pytestmark = pytest.mark.django_db

SEED_LINE = "继续做好高血压、糖尿病门诊用药保障"
CATALOGUE = importlib.import_module("benefits.migrations.0003_seed_chronic_catalogue_and_credit_rules")
TWO_DISEASES = importlib.import_module("benefits.migrations.0008_two_diseases_not_chronic")


@pytest.fixture
def catalogue(db):
    """What `migrate` seeds, again (a transactional test earlier in the run may have emptied the table)."""
    CATALOGUE.seed(apps, None)
    TWO_DISEASES.seed(apps, None)


def test_the_seed_line_is_in_002():
    seed = Path(__file__).resolve().parents[2] / "shared/seeds/002_ee069be1942cc144.txt"
    if not seed.exists():
        pytest.skip("the seed documents are not next to this checkout")
    assert SEED_LINE in seed.read_text(encoding="utf-8")


def test_hypertension_and_diabetes_are_two_diseases_cover_not_chronic_and_cite_002(catalogue):
    rows = {d.code: d for d in ChronicDisease.objects.all()}
    for code, name in (("MT001", "高血压"), ("MT002", "糖尿病")):
        assert rows[code].name == name
        assert rows[code].kind == DiseaseKind.TWO_DISEASES
        assert SEED_LINE in rows[code].source and "渝医保发〔2022〕25号" in rows[code].source
    assert {"MT001", "MT002"}.isdisjoint(chronic_catalogue().values_list("code", flat=True))
    assert set(chronic_catalogue(kind=DiseaseKind.TWO_DISEASES).values_list("code", flat=True)) == {"MT001", "MT002"}
    # The others stay 门诊慢特病 (labelled configurable defaults: no seed lists them).
    assert {d.kind for c, d in rows.items() if c not in ("MT001", "MT002")} == {DiseaseKind.CHRONIC}


def test_the_data_migration_keeps_history_and_reverses(catalogue, clerk_yuzhong):
    """The rows are kept (registrations and settlements point at them); reversing restores 0003's kind and source."""
    person = resident()
    registration = chronic_registration_create(
        actor=clerk_yuzhong, person=person, disease_code="MT001", valid_from=dt.date(2023, 1, 1)
    )
    TWO_DISEASES.unseed(apps, None)
    hypertension = ChronicDisease.objects.get(code="MT001")
    assert hypertension.kind == DiseaseKind.CHRONIC and hypertension.source == TWO_DISEASES.OLD_SOURCE
    TWO_DISEASES.seed(apps, None)
    hypertension.refresh_from_db()
    assert hypertension.kind == DiseaseKind.TWO_DISEASES
    registration.refresh_from_db()
    assert registration.disease_id == hypertension.pk and registration.status == ChronicRegistration.Status.ACTIVE


def test_no_chronic_application_for_the_two_diseases(catalogue, clerk_yuzhong, hospital_yz):
    person = resident()
    with pytest.raises(ValidationError) as refused:
        chronic_application_submit(
            actor=clerk_yuzhong, person=person, disease_code="MT001", hospital_code=hospital_yz.code,
            diagnosis="原发性高血压", evidence=["诊断证明书"],
        )  # fmt: skip
    assert refused.value.message_dict["disease"] == ["高血压属两病门诊用药保障，不是门诊慢特病，无需申请认定"]


def test_the_person_panel_keeps_the_two_covers_apart_with_name_and_source(catalogue, client_for, clerk_yuzhong):
    person = resident()
    for code in ("MT001", "MT007"):
        chronic_registration_create(
            actor=clerk_yuzhong, person=person, disease_code=code, valid_from=dt.date(2023, 1, 1)
        )
    html = client_for(clerk_yuzhong).get(reverse("benefits:person_panel", args=[person.pk])).content.decode()
    chronic = html[html.index('data-testid="chronic-registrations"') : html.index('data-testid="two-diseases-section"')]
    two = html[html.index('data-testid="two-diseases-registrations"') :]
    assert "MT007 冠心病" in chronic and "高血压" not in chronic
    assert "MT001 高血压" in two and "冠心病" not in two.split("</table>")[0]
    assert "两病门诊用药保障登记" in html and f"渝医保发〔2022〕25号“{SEED_LINE}”" in html


def test_the_demo_registers_a_real_chronic_disease():
    """`make setup` registers demo retirees for a 门诊慢特病 of the catalogue, not for 高血压."""
    source = Path(__file__).resolve().parents[1] / "benefits/management/commands/seed_demo_benefits.py"
    text = source.read_text(encoding="utf-8")
    assert 'get(code="MT007")' in text and 'get(code="MT001")' not in text
