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
    assert benefit_policy_load(actor=None, document=document) == {"created": 0, "unchanged": 39}


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


# --- 异地就医 (`remote_care`): "就医地目录、参保地政策、就医地管理" as data, checked whole on load. ---


def _remote(document: dict, filing_type: str) -> dict:
    return next(line for line in document["remote_care"] if line["filing_type"] == filing_type)


def test_remote_care_rules_load_with_their_labelled_defaults(policy):
    from benefits.models import RemoteCareRule

    rules = {r.filing_type: r for r in RemoteCareRule.objects.filter(year=2023)}
    assert len(rules) == 7  # six filing types and care without a filing
    assert rules["other_temporary"].ratio_reduction == D("0.1000")
    assert rules["unfiled"].ratio_reduction == D("0.2000")
    assert (rules["retired_elsewhere"].ratio_reduction, rules["retired_elsewhere"].valid_months) == (D("0"), 0)
    assert rules["retired_elsewhere"].min_months_before_change == 6
    assert rules["referral"].valid_months == 6 and "转诊转院证明" in rules["referral"].required_documents
    # The seeds give no figure: every rule says it is a configurable default. 004 only asks to
    # "简化异地就医备案要件": a self-service channel asks for the person's 承诺书.
    assert all("可配置默认值" in r.source for r in rules.values())
    assert rules["living_elsewhere"].self_service_documents == ["个人承诺书"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: d["remote_care"].pop(), "remote_care", "缺少：unfiled"),
        (
            lambda d: _remote(d, "other_temporary").update(ratio_reduction="0.30"),
            "remote_care 第6条",
            "备案后不应比未备案待遇更低",
        ),
        (lambda d: _remote(d, "referral").update(valid_months=0), "remote_care 第4条", "临时外出备案须有有效期"),
        (lambda d: _remote(d, "emergency").update(ratio_reduction="1.5"), "remote_care 第5条", "应在 0 到 1 之间"),
        (lambda d: _remote(d, "emergency").update(filing_type="holiday"), "remote_care 第5条", "filing_type 应为"),
        (lambda d: _remote(d, "referral").update(required_documents="证明"), "remote_care 第4条", "材料名称的列表"),
        (lambda d: _remote(d, "referral").update(min_months_before_change=-1), "remote_care 第4条", "0 到 120"),
    ],
)
def test_a_broken_remote_care_section_refuses_the_whole_file(db, change, field, message):
    from benefits.models import RemoteCareRule

    document = copy.deepcopy(SEED)
    change(document)
    with pytest.raises(ValidationError) as refused:
        benefit_policy_load(actor=None, document=document)
    assert message in " ".join(refused.value.message_dict[field])
    assert BenefitPolicy.objects.count() == 0 and RemoteCareRule.objects.count() == 0


def test_remote_care_changes_are_new_versions_and_the_export_carries_them(policy, tmp_path):
    from benefits.models import RemoteCareRule

    document = copy.deepcopy(SEED)
    _remote(document, "unfiled").update(ratio_reduction="0.25", source="某市医保局2023年第1号")
    assert benefit_policy_load(actor=None, document=document)["created"] == 1
    current = RemoteCareRule.objects.filter(year=2023, filing_type="unfiled").order_by("-version")
    assert [(r.version, r.ratio_reduction) for r in current] == [(2, D("0.2500")), (1, D("0.2000"))]
    out = tmp_path / "policy.json"
    call_command("benefit_policy", "export", "--year", "2023", "--output", str(out))
    exported = json.loads(out.read_text("utf-8"))
    assert _remote(exported, "unfiled")["ratio_reduction"] == "0.2500"
    assert benefit_policy_load(actor=None, document=exported) == {"created": 0, "unchanged": 39}
