"""基金运行分析: income, spending, balance and reserve months per scheme and month, scoped by district."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from audit.fund_selectors import fund_analysis
from core.roles import Role
from tests.benefits_support import employee, resident, staff_client
from tests.supervision_support import pay, settle

D = Decimal
URL = "/audit/fund/"
API = "/api/v1/fund-analysis/"
RESERVE = {"city": {"employee": "1000.00", "resident": "50000.00"}, "500103": {"resident": "20000.00"}}


@pytest.fixture
def fund_data(districts, hospital_yz, settings):
    """Given: residents of 渝中 and 江北 who paid, aid-paid contributions, settlements and one reversal."""
    settings.YIBAO_FUND_OPENING_RESERVE = RESERVE
    yz = resident(paid=False, district=districts["500103"])
    jb = resident(paid=False, district=districts["500105"])
    pay(yz, "300.00", dt.date(2022, 12, 20), year=2022)  # before the year: part of the opening balance
    from tests.supervision_support import bill

    bill(yz, year=2023, subsidy="100.00")  # 资助参保: income of January 2023
    pay(yz, "350.00", dt.date(2023, 1, 5))
    pay(yz, "725.50", dt.date(2023, 3, 31))
    pay(jb, "1000.00", dt.date(2023, 2, 1))
    settle(yz, hospital_yz, dt.date(2023, 3, 3), pooled="600.00", critical="100.00", aid="50.00")
    settle(yz, hospital_yz, dt.date(2023, 3, 4), pooled="500.00", status="reversed")  # not spending
    worker = employee(district=districts["500103"])
    settle(worker, hospital_yz, dt.date(2023, 4, 10), pooled="2000.00")


def month(scheme: dict, key: str) -> dict:
    return next(r for r in scheme["months"] if r["month"] == key)


def test_city_wide_figures_per_scheme_and_month(fund_data, auditor, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        analysis = fund_analysis(fetched_by=auditor, year=2023)
    employee_, resident_ = analysis["schemes"]
    assert (employee_["scheme"], resident_["scheme"]) == ("employee", "resident")
    assert analysis["scope"] == "全市"
    assert resident_["opening_balance"] == D("50300.00")  # reserve 50000 + December 2022 payment
    assert [month(resident_, m)["income"] for m in ("2023-01", "2023-02", "2023-03")] == [
        D("450.00"), D("1000.00"), D("725.50"),
    ]  # fmt: skip
    assert month(resident_, "2023-03")["spending"] == D("700.00")  # pooled + critical, reversal and aid excluded
    assert resident_["income_total"] == D("2175.50") and resident_["spending_total"] == D("700.00")
    assert resident_["closing_balance"] == D("51775.50")
    # 51775.50 / (700.00 / 12) = 887.58...
    assert month(resident_, "2023-12")["reserve_months"] == D("887.6")
    assert month(resident_, "2023-01")["reserve_months"] is None  # no spending in the last 12 months yet
    assert resident_["warnings"] == []
    assert len(resident_["months"]) == 12
    # Employees: 1000 reserve, 2000 spent in April, no income: balance -1000, -6 months of reserve.
    assert month(employee_, "2023-04")["balance"] == D("-1000.00")
    assert month(employee_, "2023-12")["reserve_months"] == D("-6.0")
    kinds = {(w["kind"], w["level"]) for w in employee_["warnings"]}
    assert kinds == {("reserve", "danger"), ("deficit", "warning")}
    messages = " ".join(w["message"] for w in employee_["warnings"])
    assert "可支付月数为 -6.0 个月，低于 3 个月" in messages and "2023-04（缺口 2000.00）" in messages


def test_district_user_sees_own_district_only(fund_data, reviewer_yuzhong, reviewer_jiangbei):
    yz = fund_analysis(fetched_by=reviewer_yuzhong, year=2023)
    resident_ = yz["schemes"][1]
    assert yz["district_code"] == "500103"
    assert resident_["opening_balance"] == D("20300.00")  # the district's own configured reserve
    assert month(resident_, "2023-02")["income"] == D("0.00")  # 江北's payment is not counted
    assert resident_["income_total"] == D("1175.50")
    assert yz["schemes"][0]["opening_balance"] == D("0.00")  # no reserve configured for the district's employees
    jb = fund_analysis(fetched_by=reviewer_jiangbei, year=2023)
    assert jb["schemes"][1]["income_total"] == D("1000.00")
    assert jb["schemes"][1]["spending_total"] == D("0.00") and jb["schemes"][0]["spending_total"] == D("0.00")


def test_spending_growth_over_income_is_warned(districts, hospital_yz, auditor, settings):
    settings.YIBAO_FUND_OPENING_RESERVE = {"city": {"resident": "1000000.00"}}
    person = resident(paid=False)
    pay(person, "1000.00", dt.date(2022, 1, 10), year=2022)
    pay(person, "1100.00", dt.date(2023, 1, 10))  # income +10 %
    settle(person, hospital_yz, dt.date(2022, 2, 1), pooled="500.00")
    settle(person, hospital_yz, dt.date(2023, 2, 1), pooled="600.00")  # spending +20 %
    resident_ = fund_analysis(fetched_by=auditor, year=2023)["schemes"][1]
    assert resident_["growth"] == {"income": D("10.0"), "spending": D("20.0")}
    assert [w["message"] for w in resident_["warnings"]] == [
        "居民医保 支出同比增长 20.0%，高于收入同比增长 10.0%",
        "居民医保 当期支出大于收入的月份：2023-02（缺口 600.00）",
    ]


def test_reserve_below_six_months_is_a_warning(districts, hospital_yz, auditor, settings):
    settings.YIBAO_FUND_OPENING_RESERVE = {"city": {"resident": "5000.00"}}
    person = resident(paid=False)
    pay(person, "1200.00", dt.date(2023, 1, 10))
    settle(person, hospital_yz, dt.date(2023, 1, 20), pooled="1200.00")  # avg 100/month, balance 5000 -> 50
    resident_ = fund_analysis(fetched_by=auditor, year=2023)["schemes"][1]
    assert month(resident_, "2023-12")["reserve_months"] == D("50.0")
    settings.YIBAO_FUND_OPENING_RESERVE = {"city": {"resident": "500.00"}}  # 500 / 100 = 5 months
    resident_ = fund_analysis(fetched_by=auditor, year=2023)["schemes"][1]
    assert [(w["kind"], w["level"]) for w in resident_["warnings"]] == [("reserve", "warning")]


def test_page_renders_tables_warnings_and_chart_json(fund_data, client_for, municipal_admin):
    response = client_for(municipal_admin).get(URL, {"year": 2023})
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/chart-4.6.1.umd.min.js" in html and "js/fund_dashboard.js" in html
    payload = re.search(r'<script id="fund-chart-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    charts = json.loads(payload)
    resident_ = charts["schemes"][1]
    assert resident_["label"] == "居民医保" and resident_["months"][0] == "2023-01"
    assert resident_["income"][:3] == ["450.00", "1000.00", "725.50"]
    assert resident_["reserve_months"][11] == "887.6"
    assert "【红色预警】" in html and "缺口 2000.00" in html
    assert 'data-testid="closing-resident">51775.50<' in html


def test_district_page_ignores_another_district_and_roles_are_enforced(fund_data, make_user, client_for):
    reviewer = make_user("rv", Role.DISTRICT_REVIEWER, "500103")
    html = client_for(reviewer).get(URL, {"year": 2023, "district": "500105"}).content.decode()
    assert 'data-testid="fund-scope">渝中区<' in html
    assert 'data-testid="income-resident">1175.50<' in html
    clerk = make_user("ck", Role.DISTRICT_CLERK, "500103")
    assert client_for(clerk).get(URL).status_code == 403
    assert staff_client(clerk).get(API, {"year": 2023}).status_code == 403


def test_bad_year_gets_a_chinese_message(fund_data, client_for, auditor):
    response = client_for(auditor).get(URL, {"year": "二〇二三"})
    assert response.status_code == 400
    assert "年度须为四位数字" in response.content.decode()
    api = staff_client(auditor).get(API, {"year": "abc"})
    assert api.status_code == 400 and api.json() == {"year": ["年度须为四位数字，如 2023"]}


def test_api_returns_exact_amounts_and_city_user_may_pick_a_district(fund_data, auditor, reviewer_jiangbei):
    body = staff_client(auditor).get(API, {"year": 2023}).json()
    resident_ = body["schemes"][1]
    assert resident_["closing_balance"] == "51775.50"
    assert resident_["months"][2] == {
        "month": "2023-03", "income": "725.50", "spending": "700.00", "balance": "51775.50", "reserve_months": "887.6",
    }  # fmt: skip
    picked = staff_client(auditor).get(API, {"year": 2023, "district": "500105"}).json()
    assert (picked["district_code"], picked["schemes"][1]["income_total"]) == ("500105", "1000.00")
    own = staff_client(reviewer_jiangbei).get(API, {"year": 2023, "district": "500103"}).json()
    assert (own["district_code"], own["schemes"][1]["income_total"]) == ("500105", "1000.00")


def test_year_defaults_to_the_latest_year_with_a_contribution_standard(fund_data, client_for, auditor, standards_2023):
    """The demo's data is 2023: the page opens on 2023, not on an empty calendar year."""
    response = client_for(auditor).get(URL)
    assert response.status_code == 200
    assert re.search(r'name="year" value="2023"', response.content.decode())
    analysis = response.context["analysis"]
    assert analysis["year"] == 2023
    resident_scheme = next(s for s in analysis["schemes"] if s["scheme"] == "resident")
    assert resident_scheme["income_total"] > 0  # figures, not a page of zeros


def test_credit_ratings_open_on_the_latest_rated_year(fund_data, client_for, auditor):
    from audit.credit_rating import credit_rating_compute

    credit_rating_compute(year=2023)
    html = client_for(auditor).get("/audit/credit-ratings/").content.decode()
    assert re.search(r'name="year" value="2023"', html)
    assert "渝中区人民医院" in html  # the 2023 rating of the fixture's hospital, not an empty year
    assert "manage.py" not in client_for(auditor).get("/audit/credit-ratings/", {"year": 2030}).content.decode()
