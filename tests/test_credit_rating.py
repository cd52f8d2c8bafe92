"""信用评价: the yearly job scores institutions from set-based aggregates; idempotent; command, page and API."""

import datetime as dt

import pytest
from django.core.management import call_command

from audit import inspection_services
from audit.credit_rating import credit_rating_compute, credit_score
from audit.models import CreditRating
from benefits.models import Institution
from core.models import AuditEvent, JobRun
from core.roles import Role
from tests.benefits_support import resident, staff_client
from tests.supervision_support import settle, suspicion

D = __import__("decimal").Decimal


@pytest.fixture
def hospital_jb(districts):
    from benefits.services import institution_register

    return institution_register(
        actor=None, name="江北区中医院", kind="hospital", level=3, district_id=districts["500105"].pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip


@pytest.fixture
def rated_world(districts, hospital_yz, hospital_jb, pharmacy_yz, municipal_admin):
    """Given: a hospital with confirmed suspicions, a recovery and many reversals; a clean one; a pharmacy."""
    yz = resident(district=districts["500103"])
    settlements = [settle(yz, hospital_yz, dt.date(2023, 3, day), pooled="100.00") for day in range(1, 9)]
    settlements += [settle(yz, hospital_yz, dt.date(2023, 4, d), pooled="1.00", status="reversed") for d in (1, 2)]
    for s, amount in zip(settlements[:3], ("800.00", "1500.50", "700.00"), strict=True):
        suspicion(s, amount=amount)
    suspicion(settlements[3], amount="9999.00", status="open")  # not confirmed: no effect
    suspicion(settle(yz, hospital_yz, dt.date(2022, 12, 1), pooled="5.00"), amount="9999.00")  # another year
    case = inspection_services.inspection_open(
        actor=municipal_admin, institution=hospital_yz, started_on=dt.date(2023, 6, 1), inspectors="市局"
    )
    inspection_services.inspection_update(actor=municipal_admin, inspection=case, recovered_amount="5000.00")
    inspection_services.inspection_open(  # no money recovered: no deduction
        actor=municipal_admin, institution=hospital_yz, started_on=dt.date(2023, 7, 1), inspectors="市局"
    )
    jb = resident(district=districts["500105"])
    suspicion(settle(jb, hospital_jb, dt.date(2023, 5, 1), pooled="100.00"), amount="100.00")
    Institution.objects.create(
        code="H50010300099", name="已解约医院", kind="hospital", level=1, district=districts["500103"],
        agreement_status="terminated", agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip
    return {"yz": hospital_yz, "jb": hospital_jb, "pharmacy": pharmacy_yz}


def test_score_formula_and_grades():
    assert credit_score(confirmed=0, confirmed_amount=D("0"), inspections=0, settlements=0, reversed_=0)[0] == 100
    score, deductions, ratio = credit_score(
        confirmed=3, confirmed_amount=D("3000.50"), inspections=1, settlements=10, reversed_=2
    )
    assert (score, ratio) == (54, D("20.00"))
    assert deductions == {"suspicions": 15, "amount": 3, "inspections": 10, "reversals": 18}
    capped = credit_score(confirmed=50, confirmed_amount=D("1e9"), inspections=9, settlements=1, reversed_=1)
    assert capped[0] == 0 and capped[1] == {"suspicions": 30, "amount": 20, "inspections": 30, "reversals": 20}


def test_rating_from_aggregates_is_idempotent(rated_world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        counts = credit_rating_compute(year=2023)
    assert counts == {"year": 2023, "rated": 3, "previously_rated": 0, "grade_A": 2, "grade_B": 0, "grade_C": 0,
                      "grade_D": 1}  # fmt: skip
    yz = CreditRating.objects.get(institution=rated_world["yz"], year=2023)
    assert (yz.score, yz.grade) == (54, "D")
    assert yz.basis == {
        "confirmed_suspicions": 3, "confirmed_amount": "3000.50", "inspections_with_recovery": 1,
        "recovered_amount": "5000.00", "penalty_amount": "0.00", "settlements": 10, "reversed_settlements": 2,
        "reversal_ratio_percent": "20.00",
        "deductions": {"suspicions": 15, "amount": 3, "inspections": 10, "reversals": 18},
    }  # fmt: skip
    jb = CreditRating.objects.get(institution=rated_world["jb"], year=2023)
    assert (jb.score, jb.grade) == (95, "A")
    assert CreditRating.objects.get(institution=rated_world["pharmacy"]).score == 100
    assert not CreditRating.objects.filter(institution__code="H50010300099").exists()

    ids = dict(CreditRating.objects.values_list("institution_id", "id"))
    suspicion(settle(resident(), rated_world["jb"], dt.date(2023, 8, 1), pooled="1.00"), amount="2000.00")
    again = credit_rating_compute(year=2023)
    assert (again["rated"], again["previously_rated"]) == (3, 3)
    assert dict(CreditRating.objects.values_list("institution_id", "id")) == ids  # same rows, updated
    jb.refresh_from_db()
    assert (jb.score, jb.grade) == (88, "B")  # 2 suspicions (-10), 2100.00 yuan (-2)


def test_command_runs_the_job_and_records_it(rated_world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("credit_rating", "--year", "2023")
    run = JobRun.objects.get(kind="credit_rating")
    assert (run.status, run.params, run.counts["rated"]) == ("succeeded", {"year": 2023}, 3)
    assert AuditEvent.objects.filter(action="job", object_id=str(run.pk), new_values__kind="credit_rating").exists()
    assert CreditRating.objects.count() == 3


def test_page_and_api_are_scoped_by_district(rated_world, make_user, client_for, auditor):
    credit_rating_compute(year=2023)
    reviewer = make_user("rv_yz", Role.DISTRICT_REVIEWER, "500103")
    html = client_for(reviewer).get("/audit/credit-ratings/", {"year": 2023}).content.decode()
    assert "渝中区人民医院" in html and "渝中大药房" in html and "江北区中医院" not in html
    assert "D级（严重失信）" in html and "确认违规疑点 3 条，涉及 3000.50 元" in html
    assert "扣分：疑点 15，金额 3，检查 10，冲正 18。" in html
    rows = staff_client(reviewer).get("/api/v1/credit-ratings/", {"year": 2023}).json()["results"]
    assert sorted((r["institution_name"], r["score"], r["grade"]) for r in rows) == [
        ("渝中区人民医院", 54, "D"), ("渝中大药房", 100, "A"),
    ]  # fmt: skip
    city = staff_client(auditor).get("/api/v1/credit-ratings/", {"year": 2023, "grade": "A"}).json()["results"]
    assert sorted(r["institution_name"] for r in city) == ["江北区中医院", "渝中大药房"]
    clerk = make_user("ck", Role.DISTRICT_CLERK, "500103")
    assert client_for(clerk).get("/audit/credit-ratings/").status_code == 403
    assert staff_client(clerk).get("/api/v1/credit-ratings/").status_code == 403
    bad = client_for(auditor).get("/audit/credit-ratings/", {"year": "20x3"})
    assert bad.status_code == 400 and "输入整数" in bad.content.decode()
