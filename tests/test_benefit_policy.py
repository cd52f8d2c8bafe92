"""Benefit policy as versioned data: load, change, export, pick the most specific line, feed the calculator."""

import copy
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from benefits.calculator import Claim, YearToDate, settle
from benefits.models import BenefitPolicy, CriticalIllnessPolicy
from benefits.selectors import benefit_policy_document, benefit_terms, critical_terms
from benefits.services import benefit_policy_load
from core.models import AuditEvent

pytestmark = pytest.mark.django_db
SEED = json.loads((Path(__file__).resolve().parent.parent / "benefits/reference/policy_2023.json").read_text("utf-8"))


@pytest.fixture
def policy(db):
    return benefit_policy_load(actor=None, document=copy.deepcopy(SEED))


def test_seed_loads_once_and_reloading_changes_nothing(policy):
    # 5 outpatient pots x 2 channels, 6 inpatient lines, 2 x 5 chronic lines; 2 tier-2 lines; 4 aid ratios;
    # 异地就医: 6 filing types + unfiled
    assert policy == {"created": 39, "unchanged": 0}
    assert benefit_policy_load(actor=None, document=copy.deepcopy(SEED)) == {"created": 0, "unchanged": 39}
    assert BenefitPolicy.objects.count() == 26 and CriticalIllnessPolicy.objects.count() == 2


def test_seed_figures_from_the_policy_documents(policy):
    tier1 = benefit_terms(year=2023, scheme="resident", category="adult", tier=1, benefit_type="outpatient",
                          institution_level=2)  # fmt: skip
    tier2 = benefit_terms(year=2023, scheme="resident", category="minor", tier=2, benefit_type="outpatient",
                          institution_level=0)  # fmt: skip
    assert (tier1.annual_cap, tier2.annual_cap) == (D("300.00"), D("500.00"))  # 渝医保发〔2022〕25号
    assert critical_terms(year=2023, scheme="resident").deductible == D("16901.00")
    inpatient = benefit_terms(year=2023, scheme="resident", category="adult", tier=1, benefit_type="inpatient",
                              institution_level=2)  # fmt: skip
    assert inpatient.ratio == D("0.7000") and inpatient.deductible_per_admission


def test_the_most_specific_line_wins(policy):
    retired = benefit_terms(year=2023, scheme="employee", category="retired", tier=None, benefit_type="outpatient",
                            institution_level=1)  # fmt: skip
    active = benefit_terms(year=2023, scheme="employee", category="active", tier=None, benefit_type="outpatient",
                           institution_level=1)  # fmt: skip
    assert (active.ratio, retired.ratio) == (D("0.5000"), D("0.6000"))  # tilted towards retirees (渝府办发〔2022〕16号)
    with pytest.raises(LookupError):
        benefit_terms(year=2031, scheme="employee", category="active", tier=None, benefit_type="outpatient",
                      institution_level=1)  # fmt: skip


def test_a_change_is_a_new_audited_version_and_the_old_one_stays(policy):
    changed = copy.deepcopy(SEED)
    changed["benefits"][0]["annual_cap"] = "350.00"
    # the pot's cap is on both of its channels (hospital, pharmacy): two new versions
    assert benefit_policy_load(actor=None, document=changed) == {"created": 2, "unchanged": 37}
    versions = BenefitPolicy.objects.filter(scheme="resident", tier=1, benefit_type="outpatient").order_by("version")
    assert [(v.version, v.annual_cap) for v in versions] == [(1, D("300.00")), (2, D("350.00"))]
    event = AuditEvent.objects.filter(object_type="benefits.benefitpolicy").latest("id")
    assert event.old_values["annual_cap"] == "300.00" and event.new_values["annual_cap"] == "350.00"
    assert benefit_terms(year=2023, scheme="resident", category="adult", tier=1, benefit_type="outpatient",
                         institution_level=0).annual_cap == D("350.00")  # fmt: skip


def test_a_bad_line_loads_nothing_and_says_which(db):
    bad = copy.deepcopy(SEED)
    bad["benefits"][3]["ratio"] = "1.5"
    with pytest.raises(ValidationError) as exc:
        benefit_policy_load(actor=None, document=bad)
    assert "benefits 第4条" in str(exc.value)
    assert BenefitPolicy.objects.count() == 0


def test_only_municipal_admins_may_load(clerk_yuzhong, municipal_admin):
    with pytest.raises(PermissionDenied):
        benefit_policy_load(actor=clerk_yuzhong, document=copy.deepcopy(SEED))
    assert benefit_policy_load(actor=municipal_admin, document=copy.deepcopy(SEED))["created"] == 39


def test_export_then_load_is_a_round_trip(policy, tmp_path):
    out = tmp_path / "p.json"
    call_command("benefit_policy", "export", "--year", "2023", "--output", str(out))
    document = json.loads(out.read_text("utf-8"))
    assert benefit_policy_document(year=2023) == document
    assert benefit_policy_load(actor=None, document=document) == {"created": 0, "unchanged": 32}


def test_policy_terms_drive_the_calculator(policy):
    pooled = benefit_terms(year=2023, scheme="resident", category="adult", tier=1, benefit_type="inpatient",
                           institution_level=3)  # fmt: skip
    result = settle(
        claim=Claim(total_cost=D("30000"), eligible_cost=D("25000")),
        pooled=pooled,
        ytd=YearToDate(),
        critical=critical_terms(year=2023, scheme="resident"),
    )
    # Level 3: deductible 800, ratio 60% (configurable defaults): (25000 - 800) x 0.6 = 14520.00.
    assert result.pooled_paid == D("14520.00") and result.total == D("30000")


def test_admin_edits_of_the_benefit_list_are_audited(client_for, municipal_admin, clerk_yuzhong, policy):
    line = BenefitPolicy.objects.get(scheme="resident", tier=1, benefit_type="outpatient")
    url = reverse("admin:benefits_benefitpolicy_change", args=[line.pk])
    assert client_for(clerk_yuzhong).get(url).status_code == 302  # not staff: to the admin login
    form = {f: getattr(line, f) for f in ("year", "scheme", "category", "tier", "benefit_type", "institution_level",
                                          "deductible", "deductible_per", "ratio", "version", "source")}  # fmt: skip
    form["annual_cap"] = "320.00"
    assert client_for(municipal_admin).post(url, form).status_code == 302
    event = AuditEvent.objects.filter(object_type="benefits.benefitpolicy", note="admin").get()
    assert event.new_values == {"annual_cap": "320.00"} and event.actor == municipal_admin
