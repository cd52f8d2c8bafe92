"""Issue 15, the benefit-policy side: each rule of the seeds the policy file and the settlement enforce,
with the seed line it comes from (../shared/seeds/, 001 = 渝府办发〔2022〕16号, 002 = 渝医保发〔2022〕25号,
004 = 成医保发〔2021〕21号, Chengdu's plan)."""

import copy
import datetime as dt
import importlib
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from benefits.models import AnnualAccumulator, BenefitPolicy, ChronicDisease, ChronicRegistration
from benefits.models.policy import ClaimAidRatio, CriticalIllnessPolicy
from benefits.selectors import benefit_terms, claim_aid_ratio, critical_terms
from benefits.services import SettlementRequest, benefit_policy_load, settlement_create, settlement_reverse
from tests.benefits_support import employee, resident
from tests.test_aid_subsidies import aid_policy_2023, recipient  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
SEED = json.loads((Path(__file__).resolve().parent.parent / "benefits/reference/policy_2023.json").read_text("utf-8"))


def request(person, number, benefit_type="outpatient", eligible="100.00", day=dt.date(2023, 3, 1), **kw):
    values = {
        "settlement_number": number, "id_number": person.id_number, "benefit_type": benefit_type,
        "service_date": day, "total_cost": D(eligible), "eligible_cost": D(eligible), "use_account": False,
    }  # fmt: skip
    values.update(kw)
    return SettlementRequest(**values)


def settle(institution, req):
    return settlement_create(actor=None, institution=institution, request=req)[0]


def accumulator(person, year=2023):
    return AnnualAccumulator.objects.get(person=person, year=year)


# --- Finding 1: one outpatient pot, hospital and designated-pharmacy channels ---------------------------------


def test_hospital_and_pharmacy_share_one_outpatient_cap_tier_1(policy_2023, hospital_yz, pharmacy_yz):
    """001: "将符合条件的定点零售药店提供的用药保障服务纳入普通门诊统筹保障范围", "医保基金对不同的门诊共济保障方式
    不重复支付"; 002: "2023年度居民医保支付限额一档参保人300元，二档参保人500元"."""
    person = resident(tier=1)
    visit = settle(hospital_yz, request(person, "OP-1", eligible="250.00"))
    bought = settle(pharmacy_yz, request(person, "RX-1", benefit_type="pharmacy", eligible="400.00"))
    more = settle(pharmacy_yz, request(person, "RX-2", benefit_type="pharmacy", eligible="100.00"))
    # 250 x 50% = 125; then 400 x 50% = 200, but only 175 left of the one 300 cap; then nothing.
    assert (visit.pooled_paid, bought.pooled_paid, more.pooled_paid) == (D("125.00"), D("175.00"), D("0.00"))
    acc = accumulator(person)
    assert (acc.pooled_outpatient, acc.pooled_pharmacy) == (D("300.00"), D("0.00"))
    # the channel stays on the settlement, so the fund books still post 定点药店购药支出
    assert bought.benefit_type == "pharmacy" and "共用起付标准和年度支付限额" in bought.steps[0]


def test_tier_2_pot_is_500_across_both_channels(policy_2023, hospital_yz, pharmacy_yz):
    """002: "二档参保人500元"."""
    person = resident(tier=2)
    first = settle(pharmacy_yz, request(person, "RX-1", benefit_type="pharmacy", eligible="800.00"))
    second = settle(hospital_yz, request(person, "OP-1", eligible="800.00"))
    assert (first.pooled_paid, second.pooled_paid) == (D("400.00"), D("100.00"))
    assert accumulator(person).pooled_outpatient == D("500.00")


def test_employee_pot_shares_the_yearly_deductible_across_channels(policy_2023, hospital_yz, pharmacy_yz):
    """001: "在一个自然年度内累计计算，超过起付标准后由统筹基金按比例支付" for the whole pot: the 200 deductible
    (configurable default) borne at the hospital is not borne again at the pharmacy."""
    person = employee(category="active")
    visit = settle(hospital_yz, request(person, "OP-1", eligible="150.00"))
    bought = settle(pharmacy_yz, request(person, "RX-1", benefit_type="pharmacy", eligible="150.00"))
    assert (visit.deductible_applied, visit.pooled_paid) == (D("150.00"), D("0.00"))
    assert (bought.deductible_applied, bought.pooled_paid) == (D("50.00"), D("50.00"))  # (150 - 50) x 50%
    acc = accumulator(person)
    assert (acc.deductible_outpatient, acc.deductible_pharmacy) == (D("200.00"), D("0.00"))


def test_reversing_a_pharmacy_purchase_gives_back_the_pots_share(policy_2023, hospital_yz, pharmacy_yz):
    person = resident(tier=1)
    bought = settle(pharmacy_yz, request(person, "RX-1", benefit_type="pharmacy", eligible="400.00"))
    settlement_reverse(actor=None, settlement=bought, reason="退药")
    assert accumulator(person).pooled_outpatient == D("0.00")
    assert settle(hospital_yz, request(person, "OP-1", eligible="600.00")).pooled_paid == D("300.00")


def test_the_pot_terms_read_the_same_from_either_channel(policy_2023):
    who = {"year": 2023, "scheme": "resident", "category": "adult", "tier": 1, "institution_level": 0}
    hospital = benefit_terms(**who, benefit_type="outpatient")
    pharmacy = benefit_terms(**who, benefit_type="pharmacy")
    assert (
        (hospital.annual_cap, hospital.deductible)
        == (pharmacy.annual_cap, pharmacy.deductible)
        == (
            D("300.00"),
            D("0.00"),
        )
    )


def test_accumulator_migration_merges_pharmacy_into_the_pot_and_reverses(policy_2023, hospital_yz, pharmacy_yz):
    """Migration 0012: existing years' pharmacy amounts move into the one pot; going back recomputes them from
    the pharmacy settlements (the subledger)."""
    migration = importlib.import_module("benefits.migrations.0012_merge_pharmacy_into_outpatient_pot")
    person = employee(category="active")
    settle(hospital_yz, request(person, "OP-1", eligible="300.00"))
    settle(pharmacy_yz, request(person, "RX-1", benefit_type="pharmacy", eligible="150.00"))
    merged = accumulator(person)
    migration.split(apps, None)
    old = accumulator(person)
    assert (old.pooled_outpatient, old.deductible_outpatient) == (D("50.00"), D("200.00"))
    assert (old.pooled_pharmacy, old.deductible_pharmacy) == (D("75.00"), D("0.00"))
    migration.merge(apps, None)
    again = accumulator(person)
    fields = ("pooled_outpatient", "deductible_outpatient", "pooled_pharmacy", "deductible_pharmacy")
    assert [getattr(again, f) for f in fields] == [getattr(merged, f) for f in fields]


def test_a_pharmacy_line_outside_a_pot_is_refused(db):
    bad = copy.deepcopy(SEED)
    bad["benefits"].append({**SEED["benefits"][2], "benefit_type": "pharmacy", "institution_level": 0})
    with pytest.raises(ValidationError) as exc:
        benefit_policy_load(actor=None, document=bad)
    assert f"benefits 第{len(bad['benefits'])}条" in str(exc.value) and "不重复支付" in str(exc.value)
    assert not BenefitPolicy.objects.exists()


def test_a_pot_without_a_hospital_channel_for_any_level_is_refused(db):
    bad = copy.deepcopy(SEED)
    bad["benefits"][0]["channels"] = [{"channel": "pharmacy", "ratio": "0.5000"}]
    with pytest.raises(ValidationError) as exc:
        benefit_policy_load(actor=None, document=bad)
    assert "benefits 第1条" in str(exc.value) and not BenefitPolicy.objects.exists()


# --- Finding 2: "about 70%" is an indicator, not a ratio -------------------------------------------------------


def test_level_2_inpatient_ratio_is_a_labelled_default_not_the_70_percent_indicator(policy_2023):
    """002: "确保政策范围内基金支付比例稳定在70%左右" is an outcome measured over the year (audit/fund_indicators.py),
    not the ratio of one level of hospital."""
    line = BenefitPolicy.objects.get(scheme="resident", benefit_type="inpatient", institution_level=2)
    assert line.source.startswith("可配置默认值") and "不作比例依据" in line.source
    for row in BenefitPolicy.objects.all():
        assert "约70%" not in row.source


# --- Findings 4 and 13: Chengdu's figures are labelled defaults; the tier-2 names ------------------------------


def _sources(document):
    for section in ("benefits", "critical_illness", "medical_aid"):
        for line in document[section]:
            yield line["source"]
            for channel in line.get("channels", []):
                if "source" in channel:
                    yield channel["source"]


def test_every_source_names_a_document_or_says_configurable_default():
    for source in _sources(SEED):
        assert "〔" in source or "可配置默认值" in source, source


def test_chengdu_figures_are_configurable_defaults_not_chongqing_rules():
    """004 is Chengdu's plan (critical-illness tilt -50% / +5 points, aid at least 75%): cited only as
    "可配置默认值（参考成都市004…）"."""
    cited = [s for s in _sources(SEED) if "成医保发" in s or "成都" in s]
    assert cited and all("可配置默认值（参考成都市004" in s for s in cited)


def test_employees_tier_2_is_the_large_medical_mutual_aid(policy_2023, hospital_yz):
    """001: "退休人员本人的职工大额医疗互助保险缴费": employees' tier 2 is 职工大额医疗互助, residents' 大病保险."""
    assert critical_terms(year=2023, scheme="employee").label == "职工大额医疗互助"
    assert critical_terms(year=2023, scheme="resident").label == "大病保险"
    assert CriticalIllnessPolicy.objects.get(scheme="employee").source.startswith("职工大额医疗互助")
    stay = {"benefit_type": "inpatient", "discharge_date": dt.date(2023, 3, 20), "eligible": "200000.00"}
    worker = settle(hospital_yz, request(employee(category="active"), "ZY-E", **stay))
    # level 2: (200000 - 400) x 88% = 175648.00; 24352.00 left, above the 20000 deductible: (24352 - 20000) x 80%
    assert worker.critical_paid == D("3481.60")
    assert any(step.startswith("职工大额医疗互助：") for step in worker.steps)
    assert not any("大病保险" in step for step in worker.steps)
    citizen = settle(hospital_yz, request(resident(), "ZY-R", **stay))
    assert any(step.startswith("大病保险：") for step in citizen.steps)


# --- Finding 4: aid ratios per claim type; pharmacy purchases get the pharmacy ratio (0) -----------------------


def test_aid_ratio_per_claim_type_pharmacy_gets_none(policy_2023, aid_policy_2023, hospital_yz, pharmacy_yz):  # noqa: F811
    """No seed extends medical aid to designated-pharmacy purchases; the claim-type ratio is data
    (policy file `medical_aid`), 0 for pharmacy."""
    assert claim_aid_ratio(year=2023, benefit_type="pharmacy") == D("0")
    assert claim_aid_ratio(year=2023, benefit_type="inpatient") is None  # the aid category's own ratio
    person = resident(tier=1)
    recipient(person, "destitute")
    bought = settle(pharmacy_yz, request(person, "RX-1", benefit_type="pharmacy", eligible="200.00"))
    assert (bought.pooled_paid, bought.aid_paid, bought.aid_recipient) == (D("100.00"), D("0.00"), True)
    visit = settle(hospital_yz, request(person, "OP-1", eligible="200.00"))
    assert visit.aid_paid > 0  # hospital outpatient keeps the category's ratio


def test_a_claim_type_ratio_in_the_file_replaces_the_category_ratio(aid_policy_2023, hospital_yz):  # noqa: F811
    document = copy.deepcopy(SEED)
    for line in document["medical_aid"]:
        if line["benefit_type"] == "outpatient":
            line["ratio"] = "0.5000"
    benefit_policy_load(actor=None, document=document)
    assert ClaimAidRatio.objects.get(benefit_type="outpatient").ratio == D("0.5000")
    person = resident(tier=1)
    recipient(person, "destitute")
    visit = settle(hospital_yz, request(person, "OP-1", eligible="200.00"))
    assert visit.aid_paid == D("50.00")  # (200 - 100 pooled) x 50%


# --- Finding 11: the loader refuses a file that breaks 001's floor or its tilt towards retirees ----------------


def _employee_pot(document, category):
    return next(
        (i, line)
        for i, line in enumerate(document["benefits"], start=1)
        if line["scheme"] == "employee" and line["benefit_type"] == "outpatient" and line["category"] == category
    )


def test_active_employee_outpatient_ratio_below_50_percent_is_refused(db):
    """001: "在职职工在定点医疗机构发生的符合规定的医疗费用，统筹基金支付比例不低于 50%"."""
    bad = copy.deepcopy(SEED)
    number, line = _employee_pot(bad, "active")
    line["channels"][0]["ratio"] = "0.4500"
    with pytest.raises(ValidationError) as exc:
        benefit_policy_load(actor=None, document=bad)
    message = str(exc.value)
    assert f"benefits 第{number}条" in message and "在职职工" in message and "低于 50%" in message
    assert "统筹基金支付比例不低于 50%" in message  # the rule, quoted
    assert not BenefitPolicy.objects.exists()


def test_retirees_below_active_employees_is_refused(db):
    """001: "基金支付比例不低于 50%，适度向退休人员倾斜"."""
    bad = copy.deepcopy(SEED)
    number, line = _employee_pot(bad, "retired")
    line["channels"][0]["ratio"] = "0.5500"
    _, active = _employee_pot(bad, "active")
    active["channels"][0]["ratio"] = "0.6000"
    with pytest.raises(ValidationError) as exc:
        benefit_policy_load(actor=None, document=bad)
    message = str(exc.value)
    assert f"benefits 第{number}条" in message and "退休人员" in message and "适度向退休人员倾斜" in message
    assert not BenefitPolicy.objects.exists()


def test_an_active_line_for_any_category_is_held_to_the_floor_too(db):
    bad = copy.deepcopy(SEED)
    _, line = _employee_pot(bad, "active")
    line["category"] = ""
    line["channels"][0]["ratio"] = "0.4000"
    with pytest.raises(ValidationError, match="低于 50%"):
        benefit_policy_load(actor=None, document=bad)


# --- Finding 8 / must-show 2: per-disease chronic terms, "like inpatient" -------------------------------------


def _register(person, code):
    disease = ChronicDisease.objects.get(code=code)
    ChronicRegistration.objects.create(
        person=person, disease=disease, district_id=person.district_id, valid_from=dt.date(2023, 1, 1)
    )
    return disease


def test_dialysis_settles_like_an_inpatient_stay(policy_2023, hospital_yz):
    """001: "对部分适合在门诊开展、比住院更经济方便的特殊治疗，可参照住院待遇进行管理" (dialysis)."""
    person = resident(tier=1)
    _register(person, "MT004")  # 慢性肾功能衰竭门诊透析
    s = settle(hospital_yz, request(person, "MT-1", benefit_type="chronic", eligible="10000.00",
                                    chronic_disease_code="MT004"))  # fmt: skip
    # the level-2 resident inpatient line: 500 per admission, 70% -> 6650.00; not the chronic 60% / 5,000
    assert (s.deductible_applied, s.pooled_paid) == (D("500.00"), D("6650.00"))
    assert s.policy.benefit_type == "inpatient" and s.benefit_type == "chronic"
    assert "参照住院待遇" in s.steps[0]
    acc = accumulator(person)
    assert (acc.pooled_inpatient, acc.pooled_chronic) == (D("6650.00"), D("0.00"))
    settlement_reverse(actor=None, settlement=s, reason="重复录入")
    assert accumulator(person).pooled_inpatient == D("0.00")


def test_each_disease_has_its_own_terms_and_its_own_cap(policy_2023, hospital_yz):
    """Per-disease terms: MT006 has its own line (70%, cap 8,000: configurable defaults); MT007 falls back on
    the line for any disease (60%, cap 5,000). 001: "合理确定门诊慢特病支付比例和支付范围"."""
    person = resident(tier=1)
    _register(person, "MT006")
    _register(person, "MT007")

    def chronic(number, code):
        req = request(person, number, benefit_type="chronic", eligible="10000.00", chronic_disease_code=code)
        return settle(hospital_yz, req).pooled_paid

    assert chronic("A-1", "MT006") == D("7000.00")
    assert chronic("A-2", "MT006") == D("1000.00")  # its own 8,000 cap
    assert chronic("B-1", "MT007") == D("5000.00")  # another disease, another cap
    assert chronic("B-2", "MT007") == D("0.00")
    assert accumulator(person).pooled_chronic == D("13000.00")


def test_like_inpatient_lines_carry_no_terms_of_their_own(db):
    bad = copy.deepcopy(SEED)
    line = next(x for x in bad["benefits"] if x.get("like_inpatient"))
    line["ratio"] = "0.6000"
    with pytest.raises(ValidationError, match="参照住院待遇的病种按住院的起付标准"):
        benefit_policy_load(actor=None, document=bad)


def test_a_disease_line_must_name_a_disease_of_the_catalogue(db):
    bad = copy.deepcopy(SEED)
    line = next(x for x in bad["benefits"] if x.get("disease_code") == "MT006")
    line["disease_code"] = "MT001"  # 高血压: 两病门诊用药保障, not a 门诊慢特病 (002)
    with pytest.raises(ValidationError, match="门诊慢特病病种目录中没有病种 MT001"):
        benefit_policy_load(actor=None, document=bad)
    assert not BenefitPolicy.objects.exists()


def test_disease_terms_only_on_chronic_lines(db):
    bad = copy.deepcopy(SEED)
    bad["benefits"][2]["like_inpatient"] = True  # an inpatient line
    with pytest.raises(ValidationError, match="benefits 第3条"):
        benefit_policy_load(actor=None, document=bad)
