"""Credit-rating consequences as data (issue 15, finding 10 / must-show 7).

004 (成医保发〔2021〕21号, Chengdu): "将信用评价结果、综合绩效考核结果与预算管理、检查稽核、定点协议管理等相关联";
002 (渝医保发〔2022〕25号): "研究建立医保信用监管制度". No seed names a measure per grade, so the seeded rules
(C: on the inspection list; D: on the list, a 专项检查 opened, settlements held for review) are 可配置默认值.
The rating job applies them idempotently and audited; the page shows each institution's consequence;
`benefits.institution_holds` gives the settlement service the hold in Chinese.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.credit_rating import credit_consequences_apply
from audit.models import CreditConsequence, CreditRating, Inspection
from benefits.institution_holds import institution_settlement_hold
from benefits.models import Institution
from core.models import AuditEvent
from core.roles import Role
from tests.benefits_support import staff_client

SEED_004 = "将信用评价结果、综合绩效考核结果与预算管理、检查稽核、定点协议管理等相关联"
SEED_002 = "研究建立医保信用监管制度"
ON = dt.date(2024, 1, 15)


def seed_text(number: str) -> str:
    root = Path("/work/shared/seeds")
    if not root.exists():
        pytest.skip("seed documents not on this machine")
    [path] = root.glob(f"{number}_*.txt")
    return re.sub(r"\s+", "", path.read_text(encoding="utf-8"))


@pytest.fixture
def rules(db):
    """What migration 0010 seeds, again (a transactional test earlier in the run may have emptied the table)."""
    from django.apps import apps

    __import__("importlib").import_module("audit.migrations.0010_default_credit_consequences").seed(apps, None)


@pytest.fixture
def hospital_jb(districts):
    from benefits.services import institution_register

    return institution_register(
        actor=None, name="江北区中医院", kind="hospital", level=3, district_id=districts["500105"].pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip


def rate(institution: Institution, grade: str, year: int = 2023, score: int = 50) -> CreditRating:
    rating, _ = CreditRating.objects.update_or_create(
        institution=institution, year=year, defaults={"grade": grade, "score": score, "basis": {}}
    )
    return rating


def test_the_seed_lines_this_file_enforces():
    assert SEED_004 in seed_text("004") and SEED_002 in seed_text("002")


def test_the_default_rules_are_data_and_labelled_configurable(rules):
    got = set(CreditConsequence.objects.values_list("grade", "action"))
    assert got == {
        ("C", "inspection_list"), ("D", "inspection_list"), ("D", "special_inspection"), ("D", "settlement_review"),
    }  # fmt: skip
    for source in CreditConsequence.objects.values_list("source", flat=True):
        assert "可配置默认值" in source and "成医保发〔2021〕21号" in source


def test_a_d_rating_lists_the_institution_opens_a_special_case_and_holds_settlements(
    rules, hospital_yz, hospital_jb, pharmacy_yz
):
    d, c = rate(hospital_yz, "D"), rate(hospital_jb, "C")
    rate(pharmacy_yz, "A", score=95)
    counts = credit_consequences_apply(year=2023, on=ON)
    assert counts == {"changed": 2, "inspections_opened": 1}
    hospital_yz.refresh_from_db(), hospital_jb.refresh_from_db(), pharmacy_yz.refresh_from_db()
    assert (hospital_yz.on_inspection_list, hospital_yz.settlement_review_from) == (True, ON)
    assert (hospital_jb.on_inspection_list, hospital_jb.settlement_review_from) == (True, None)
    assert (pharmacy_yz.on_inspection_list, pharmacy_yz.settlement_review_from) == (False, None)
    [case] = Inspection.objects.all()
    assert (case.kind, case.credit_rating, case.institution, case.district_id, case.started_on) == (
        "special",
        d,
        hospital_yz,
        hospital_yz.district_id,
        ON,
    )
    assert not Inspection.objects.filter(credit_rating=c).exists()
    # Audited: both institutions' measures and the case, as the system (no actor).
    notes = AuditEvent.objects.filter(note="信用评价结果运用（2023年度）")
    assert {(e.object_type, e.object_id) for e in notes} == {
        ("benefits.institution", str(hospital_yz.pk)), ("benefits.institution", str(hospital_jb.pk)),
        ("audit.inspection", str(case.pk)),
    }  # fmt: skip
    assert all(e.actor is None for e in notes)
    event = notes.get(object_id=str(hospital_yz.pk), object_type="benefits.institution")
    assert event.new_values["settlement_review_from"] == "2024-01-15"


def test_rerunning_changes_nothing_and_a_better_grade_lifts_the_measures(rules, hospital_yz):
    rate(hospital_yz, "D")
    credit_consequences_apply(year=2023, on=ON)
    events = AuditEvent.objects.count()
    assert credit_consequences_apply(year=2023, on=ON + dt.timedelta(days=9)) == {
        "changed": 0, "inspections_opened": 0,
    }  # fmt: skip
    assert AuditEvent.objects.count() == events and Inspection.objects.count() == 1
    hospital_yz.refresh_from_db()
    assert hospital_yz.settlement_review_from == ON  # the hold keeps its first day
    rate(hospital_yz, "B", score=80)  # a suspicion dismissed, the rating run again
    assert credit_consequences_apply(year=2023, on=ON)["changed"] == 1
    hospital_yz.refresh_from_db()
    assert (hospital_yz.on_inspection_list, hospital_yz.settlement_review_from, hospital_yz.credit_measure_reason) == (
        False, None, "",
    )  # fmt: skip
    assert Inspection.objects.count() == 1  # the case opened stays the inspectors' to close


def test_an_older_year_does_not_override_the_latest_rating(rules, hospital_yz):
    rate(hospital_yz, "A", year=2024, score=95)
    rate(hospital_yz, "D", year=2023)
    assert credit_consequences_apply(year=2023, on=ON)["changed"] == 0
    hospital_yz.refresh_from_db()
    assert hospital_yz.settlement_review_from is None and not Inspection.objects.exists()


def test_a_rule_switched_off_is_not_applied(rules, hospital_yz):
    CreditConsequence.objects.filter(grade="D", action="special_inspection").update(active=False)
    rate(hospital_yz, "D")
    credit_consequences_apply(year=2023, on=ON)
    hospital_yz.refresh_from_db()
    assert hospital_yz.settlement_review_from == ON and not Inspection.objects.exists()


def test_the_hold_for_the_settlement_service_in_chinese(rules, hospital_yz, pharmacy_yz):
    rate(hospital_yz, "D")
    credit_consequences_apply(year=2023, on=ON)
    hospital_yz.refresh_from_db()
    assert institution_settlement_hold(institution=hospital_yz, on=ON - dt.timedelta(days=1)) is None
    reason = institution_settlement_hold(institution=hospital_yz, on=ON)
    assert reason == ("渝中区人民医院因2023年度信用评价D级（严重失信），自 2024-01-15 起结算暂缓，须经医保部门逐笔审核")
    assert institution_settlement_hold(institution=pharmacy_yz, on=ON) is None


def test_the_job_applies_the_consequences(rules, hospital_yz, django_capture_on_commit_callbacks):
    from benefits.models import Settlement
    from tests.benefits_support import resident
    from tests.supervision_support import settle, suspicion

    person = resident()
    for day in range(1, 8):  # 7 confirmed suspicions (-30) of 1,000 yuan each (-7) and a recovery (-10): 53, D
        suspicion(settle(person, hospital_yz, dt.date(2023, 3, day), pooled="100.00"), amount="1000.00")
    Inspection.objects.create(
        institution=hospital_yz, district_id=hospital_yz.district_id, started_on=dt.date(2023, 6, 1),
        inspectors="市局", recovered_amount="100.00",
    )  # fmt: skip
    assert Settlement.objects.count() == 7
    with django_capture_on_commit_callbacks(execute=True):
        call_command("credit_rating", "--year", "2023")
    assert CreditRating.objects.get(institution=hospital_yz).grade == "D"
    hospital_yz.refresh_from_db()
    assert hospital_yz.on_inspection_list and hospital_yz.settlement_review_from is not None
    assert Inspection.objects.filter(kind="special", credit_rating__institution=hospital_yz).count() == 1


def test_the_page_and_api_show_each_institutions_consequence_scoped_by_district(
    rules, make_user, client_for, hospital_yz, hospital_jb, pharmacy_yz
):
    rate(hospital_yz, "D"), rate(hospital_jb, "C"), rate(pharmacy_yz, "A", score=95)
    credit_consequences_apply(year=2023, on=ON)
    reviewer = make_user("rv_yz", Role.DISTRICT_REVIEWER, "500103")
    html = client_for(reviewer).get("/audit/credit-ratings/", {"year": 2023}).content.decode()
    cells = dict(re.findall(r'data-institution="(\w+)">.*?<td data-testid="consequence">(.*?)</td>', html, re.S))
    assert cells[hospital_yz.code] == (
        '列入重点检查名单；暂缓结算并逐笔审核；立案专项检查<br><span class="hint">自 2024-01-15 起结算暂缓</span>'
    )
    assert cells[pharmacy_yz.code] == "无" and hospital_jb.code not in cells  # another district
    assert "结果运用（可配置默认值" in html
    rows = {r["institution_code"]: r for r in staff_client(reviewer).get("/api/v1/credit-ratings/").json()["results"]}
    assert (rows[hospital_yz.code]["on_inspection_list"], rows[hospital_yz.code]["settlement_review_from"]) == (
        True, "2024-01-15",
    )  # fmt: skip
    assert hospital_jb.code not in rows
