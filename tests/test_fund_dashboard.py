"""基金运行分析 from the fund books (docs/fund-books.md): a small scenario whose books are worked out by hand
and read back through the selector, the API (strings exact to the fen) and the page (data-testid values)."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
import tablib
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from audit.fund_models import FundBudget, FundRiskRule
from audit.fund_resources import FundBudgetResource
from audit.fund_selectors import fund_books
from benefits.services import account_credits_post, settlement_create, settlement_reverse
from contributions.models import CoverageWindow
from contributions.services import contribution_bill_issue, payment_record
from core.ledger import manual_entry_post
from core.ledger_jobs import RECONCILE_KIND
from core.models import AuditEvent, Fund, JobRun, LedgerAccount
from core.roles import Role
from tests.benefits_support import employee, staff_client
from tests.factories import ResidentEnrollmentFactory
from tests.test_aid_subsidies import recipient
from tests.test_settlements import claim

D = Decimal
URL = "/audit/fund/"
API = "/api/v1/fund/books/"
CRITICAL = {"2023": "65.50"}  # 大病保险筹资 per insured resident: no seed gives it, the test sets it


@contextmanager
def on(day: dt.date):
    """Run the block as if it were 10:00 on `day`: services stamp their records (and the books) with today."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def manual(fund: str, account: str, district, amount: str, day: dt.date, reason: str = "测试"):
    return manual_entry_post(
        actor=None, fund=Fund.objects.get(code=fund), account=LedgerAccount.objects.get(fund__code=fund, code=account),
        district=district, year=2023, accounting_date=day, amount=D(amount), reason=reason,
    )  # fmt: skip


def build_scenario(districts, hospital, his_user) -> dict:
    """Given, for coverage year 2023 (渝中 unless said):
    * 上年结转: resident fund 5000.00 (渝中) and 1000.00 (江北), employee pooled fund 20000.00; medical aid's
      fiscal allocation 1000.00; interest 12.34 in June;
    * A, tier 1 (350.00), paid in full on 2022-12-10 (accrual: 2023 income, counted in January);
    * B, tier 2 (725.00), paid 300.00 on 2023-01-05 and 425.00 on 2023-02-01 (full: fiscal subsidy then);
    * C, 特困 (350.00 资助参保: paid in full at issue, 2022-11-15); D, 低保 (280.00 资助参保, 70.00 unpaid);
    * F in 江北, tier 1, paid 350.00 on 2023-01-20;
    * E, an active employee on a 6000.00 base (7200.00 due, 5760.00 employer's), paid 333.33 on 2023-01-05
      and 6866.67 on 2023-03-01, credited 120.00 into the account for January on 2023-01-31;
    * settlements: B inpatient 10000.00 eligible on 2023-03-15; A outpatient 200.00 on 2023-04-01 and 150.00
      on 2023-05-01, the latter reversed on 2023-05-03; F outpatient 200.00 on 2023-04-01; E inpatient
      10000.00 eligible on 2023-06-10 (its account pays what it holds)."""
    yz, jb = districts["500103"], districts["500105"]
    people = {}
    with on(dt.date(2022, 11, 15)):
        for key, tier, district in (("A", 1, yz), ("B", 2, yz), ("C", 1, yz), ("D", 1, yz), ("F", 1, jb)):
            enrollment = ResidentEnrollmentFactory(tier=tier, person__district=district)
            people[key] = enrollment.person
        recipient(people["C"], "destitute")
        recipient(people["D"], "subsistence")
        bills = {
            k: contribution_bill_issue(actor=None, enrollment=p.enrollments.get(), coverage_year=2023)
            for k, p in people.items()
        }
        people["E"] = employee(category="active", base="6000.00", district=yz)
        bills["E"] = contribution_bill_issue(actor=None, enrollment=people["E"].enrollments.get(), coverage_year=2023)
    for key, amount, day in (
        ("A", "350.00", dt.date(2022, 12, 10)), ("B", "300.00", dt.date(2023, 1, 5)),
        ("E", "333.33", dt.date(2023, 1, 5)), ("F", "350.00", dt.date(2023, 1, 20)),
        ("B", "425.00", dt.date(2023, 2, 1)), ("E", "6866.67", dt.date(2023, 3, 1)),
    ):  # fmt: skip
        with on(day):
            payment_record(actor=None, bill=bills[key], amount=D(amount), paid_on=day, reference=f"{key}-{day}",
                           channel="counter")  # fmt: skip
    with on(dt.date(2023, 1, 1)):
        manual("resident_pooled", "opening_balance", yz, "5000.00", dt.date(2023, 1, 1), "2022年度结转结余")
        manual("resident_pooled", "opening_balance", jb, "1000.00", dt.date(2023, 1, 1), "2022年度结转结余")
        manual("employee_pooled", "opening_balance", yz, "20000.00", dt.date(2023, 1, 1), "2022年度结转结余")
        manual("medical_aid", "fiscal_subsidy", yz, "1000.00", dt.date(2023, 1, 10), "财政拨付医疗救助资金")
        manual("resident_pooled", "interest", yz, "12.34", dt.date(2023, 6, 30), "二季度利息")
    with on(dt.date(2023, 1, 31)):
        account_credits_post(actor=None, year=2023, month=1)

    def settle(key, number, day, **kw):
        with on(day):
            return settlement_create(actor=his_user, institution=hospital, request=claim(people[key], number, **kw))[0]

    out = {"service_date": dt.date(2023, 4, 1), "discharge_date": None, "benefit_type": "outpatient"}
    settled = {
        "B": settle("B", "S-B", dt.date(2023, 3, 15)),
        "A1": settle("A", "S-A1", dt.date(2023, 4, 1), **out, total_cost=D("200.00"), eligible_cost=D("200.00")),
        "F": settle("F", "S-F", dt.date(2023, 4, 1), **out, total_cost=D("200.00"), eligible_cost=D("200.00")),
        "A2": settle("A", "S-A2", dt.date(2023, 5, 1), **{**out, "service_date": dt.date(2023, 5, 1)},
                     total_cost=D("150.00"), eligible_cost=D("150.00")),
        "E": settle("E", "S-E", dt.date(2023, 6, 10), service_date=dt.date(2023, 6, 1),
                    discharge_date=dt.date(2023, 6, 5)),
    }  # fmt: skip
    with on(dt.date(2023, 5, 3)):
        settlement_reverse(actor=his_user, settlement=settled["A2"], reason="重复结算")
    return {"people": people, "bills": bills, "settlements": settled}


@pytest.fixture
def scenario(districts, hospital_yz, institution_user, policy_2023, settings):
    settings.YIBAO_CRITICAL_FINANCING = CRITICAL
    # The books, not the waiting period (tests/test_enrollment_window.py), are tested here: residents paid
    # in January are covered from the day they paid, as in a year without an enrollment window.
    CoverageWindow.objects.filter(year=2023).delete()
    return build_scenario(districts, hospital_yz, institution_user)


def book(body: dict, fund: str) -> dict:
    return next(b for b in body["funds"] if b["fund"] == fund)


def lines_of(b: dict) -> dict[str, str]:
    """A book's income and expense lines that carry an amount, as the API gives them."""
    return {x["account"]: x["amount"] for x in b["income"] + b["expense"] if x["amount"] != "0.00"}


def figures(b: dict) -> tuple:
    return (b["opening_balance"], b["income_total"], b["expense_total"], b["closing_balance"], b["months_of_payment"])


def indicator(body: dict, name: str) -> tuple:
    found = next(i for i in body["indicators"] if i["name"] == name)
    return found["value"], str(found["numerator"]), str(found["denominator"])


def warned(body: dict) -> list[tuple[str, str, str, str]]:
    return [(w["level"], w["fund"], w["rule"], w["figure"]) for w in body["warnings"]]


DEFAULT = "可配置默认值：种子文件未规定阈值"
RESIDENT, EMPLOYEE = "城乡居民基本医疗保险基金", "职工基本医疗保险统筹基金"
BELOW_3 = f"累计结余可支付月数低于 3 个月（{DEFAULT}）"
BELOW_6 = f"累计结余可支付月数低于 6 个月（{DEFAULT}）"
ABOVE_24 = f"累计结余可支付月数高于（结余过多） 24 个月（{DEFAULT}）"
DEFICIT = "当年收不抵支（003：以收定支、收支平衡）"

# --- 1. the books by hand ------------------------------------------------------------------------------------


def test_city_books_worked_by_hand_in_the_api(scenario, auditor):
    body = staff_client(auditor).get(API, {"year": 2023}).json()

    assert (body["year"], body["district_code"], body["scope"]) == (2023, None, "全市")
    assert [b["fund"] for b in body["funds"]] == [
        "employee_pooled", "employee_accounts", "resident_pooled", "resident_critical", "employee_supplementary",
        "medical_aid",
    ]  # fmt: skip
    resident = book(body, "resident_pooled")
    assert lines_of(resident) == {
        "individual_contribution": "1425.00",  # A 350.00 + B 300.00 + 425.00 + F 350.00
        "fiscal_subsidy": "2440.00",  # A, B, C, F paid in full: 4 x 610.00 (D still owes 70.00)
        "aid_subsidy_income": "630.00",  # 资助参保: C 350.00 + D 280.00
        "interest": "12.34",
        "pooled_outpatient": "200.00",  # A 200.00 x 50 % + F 200.00 x 50 %; A's 75.00 and its reversal cancel
        "pooled_inpatient": "6650.00",  # B: (10000.00 - 500.00 起付) x 70 %
        "critical_financing_expense": "262.00",  # 4 x 65.50
    }
    # opening 5000.00 + 1000.00 (上年结转); income 1425.00 + 2440.00 + 630.00 + 12.34 = 4507.34;
    # expense 200.00 + 6650.00 + 262.00 = 7112.00; closing 6000.00 + 4507.34 - 7112.00 = 3395.34.
    # Spent in the 12 months of 2023 by accounting date: A's and C's 大病 transfers (65.50 each) were dated
    # 2022-12-10 and 2022-11-15, so 7112.00 - 131.00 = 6981.00, 581.75 a month; 3395.34 / 581.75 = 5.836 -> 5.8
    assert figures(resident) == ("6000.00", "4507.34", "7112.00", "3395.34", "5.8")
    assert resident["average_monthly_expense"] == "581.75"
    # January holds everything paid before the year: A 350.00 + 610.00, C 610.00, 资助参保 630.00,
    # B 300.00, F 350.00 + 610.00 = 3460.00; the 大病 transfers of A, C, F = 196.50
    assert [(m["month"], m["income"], m["expense"], m["balance"]) for m in resident["months"][:6]] == [
        ("2023-01", "3460.00", "196.50", "9263.50"),  # 6000.00 + 3460.00 - 196.50
        ("2023-02", "1035.00", "65.50", "10233.00"),  # B 425.00 + 610.00; B's 大病 transfer
        ("2023-03", "0.00", "6650.00", "3583.00"),
        ("2023-04", "0.00", "200.00", "3383.00"),
        ("2023-05", "0.00", "0.00", "3383.00"),  # 75.00 paid and reversed in the same month
        ("2023-06", "12.34", "0.00", "3395.34"),
    ]
    assert len(resident["months"]) == 12 and resident["months"][-1]["balance"] == "3395.34"

    employee_ = book(body, "employee_pooled")
    assert lines_of(employee_) == {
        "individual_contribution": "1440.00",  # 66.67 + 1373.33 (2 % of 12 x 6000.00)
        "employer_contribution": "5760.00",  # 333.33 x 0.8 = 266.66 + 6866.67 x 0.8 = 5493.34
        "pooled_inpatient": "8448.00",  # (10000.00 - 400.00) x 88 %
        "account_credit_active": "120.00",  # 2 % of 6000.00, January
    }
    # 20000.00 + 7200.00 - 8568.00 = 18632.00; 8568.00 / 12 = 714.00; 18632.00 / 714.00 = 26.09 -> 26.1
    assert figures(employee_) == ("20000.00", "7200.00", "8568.00", "18632.00", "26.1")
    accounts = book(body, "employee_accounts")
    # 120.00 credited, 120.00 spent on E's stay: 0.00 left; 0.00 / (120.00 / 12) = 0.0 months
    assert lines_of(accounts) == {"account_credit_income": "120.00", "account_spending_medical": "120.00"}
    assert figures(accounts) == ("0.00", "120.00", "120.00", "0.00", "0.0")
    # nothing paid out of 大病保险 yet: no months of payment
    assert figures(book(body, "resident_critical")) == ("0.00", "262.00", "0.00", "262.00", None)
    # 1000.00 allocated - 630.00 资助参保 (dated 2022-11-15: outside 2023's months, so none)
    assert figures(book(body, "medical_aid")) == ("0.00", "1000.00", "630.00", "370.00", None)
    assert figures(book(body, "employee_supplementary")) == ("0.00", "0.00", "0.00", "0.00", None)


def test_the_page_shows_the_same_books(scenario, client_for, auditor):
    response = client_for(auditor).get(URL, {"year": 2023})

    assert response.status_code == 200
    html = response.content.decode()
    expected = {
        "resident_pooled": ("6,000.00 元", "4,507.34 元", "7,112.00 元", "3,395.34 元", "5.8"),
        "employee_pooled": ("20,000.00 元", "7,200.00 元", "8,568.00 元", "18,632.00 元", "26.1"),
        "employee_accounts": ("0.00 元", "120.00 元", "120.00 元", "0.00 元", "0.0"),
        "resident_critical": ("0.00 元", "262.00 元", "0.00 元", "262.00 元", "—"),
        "medical_aid": ("0.00 元", "1,000.00 元", "630.00 元", "370.00 元", "—"),
    }
    for fund, values in expected.items():
        for key, value in zip(("opening", "income", "expense", "closing", "months"), values, strict=True):
            assert f'data-testid="{key}-{fund}">{value}<' in html, (key, fund, value)
    assert 'data-testid="fund-scope">全市<' in html
    assert "vendor/chart-4.6.1.umd.min.js" in html and 'id="fund-chart-data"' in html
    assert response.context["charts"][2]["income"][:2] == ["3460.00", "1035.00"]


# --- 5. indicators -------------------------------------------------------------------------------------------


def test_indicators_of_the_scenario(scenario, auditor, reviewer_yuzhong, reviewer_jiangbei):
    city = staff_client(auditor).get(API, {"year": 2023}).json()
    # C (特困) paid in full by 资助参保, D (低保) still owes 70.00: 1 of 2
    assert indicator(city, "资助困难群众参保率") == ("50.00", "1", "2")
    # E: 8448.00 / 10000.00; B: (6650.00 + 0.00 大病) / 10000.00; outpatient claims are not counted
    assert indicator(city, "职工基本医疗保险政策范围内住院费用基金支付比例") == ("84.48", "8448.00", "10000.00")
    assert indicator(city, "城乡居民基本医疗保险政策范围内住院费用基金支付比例") == ("66.50", "6650.00", "10000.00")
    # (1425.00 + 630.00) / (1425.00 + 630.00 + 2440.00) = 2055.00 / 4495.00 = 45.717 %
    assert indicator(city, "城乡居民基本医疗保险筹资个人负担比率") == ("45.72", "2055.00", "4495.00")
    yz = staff_client(reviewer_yuzhong).get(API, {"year": 2023}).json()
    # 渝中: (1075.00 + 630.00) / (1705.00 + 3 x 610.00) = 1705.00 / 3535.00 = 48.231 %
    assert indicator(yz, "城乡居民基本医疗保险筹资个人负担比率") == ("48.23", "1705.00", "3535.00")
    jb = staff_client(reviewer_jiangbei).get(API, {"year": 2023}).json()
    assert indicator(jb, "资助困难群众参保率") == (None, "0", "0")  # no aid recipient in 江北
    assert indicator(jb, "城乡居民基本医疗保险筹资个人负担比率") == ("36.46", "350.00", "960.00")  # 350 / 960
    html = staff_client(auditor).get(URL, {"year": 2023}).content.decode()
    assert '<td>资助困难群众参保率</td><td class="num">50.00%</td><td class="num">100%</td>' in html
    assert '<td class="num">45.72%</td>' in html and '<td class="num">84.48%</td>' in html


# --- 2. district scoping and roles ---------------------------------------------------------------------------


def test_a_district_reviewer_gets_their_own_district_whatever_they_ask(scenario, reviewer_yuzhong, client_for):
    body = staff_client(reviewer_yuzhong).get(API, {"year": 2023, "district": "500105"}).json()

    assert (body["district_code"], body["scope"]) == ("500103", "渝中区")
    resident = book(body, "resident_pooled")
    # 5000.00 + (1075.00 + 1830.00 + 630.00 + 12.34 = 3547.34) - (100.00 + 6650.00 + 196.50 = 6946.50)
    # = 1600.84; spent in 2023: 6946.50 - 131.00 (A's, C's 2022 transfers) = 6815.50, 567.96 a month;
    # 1600.84 / 567.958 = 2.82 -> 2.8
    assert figures(resident) == ("5000.00", "3547.34", "6946.50", "1600.84", "2.8")
    assert lines_of(resident)["individual_contribution"] == "1075.00"  # F's 350.00 in 江北 is not here
    assert book(body, "employee_pooled")["closing_balance"] == "18632.00"
    assert all(b["budget"] is None for b in body["funds"])  # the budget is the city's
    html = client_for(reviewer_yuzhong).get(URL, {"year": 2023, "district": "500105"}).content.decode()
    assert 'data-testid="fund-scope">渝中区<' in html
    assert 'data-testid="closing-resident_pooled">1,600.84 元<' in html
    assert 'data-testid="months-resident_pooled">2.8<' in html


def test_another_districts_user_sees_none_of_the_first_districts_money(scenario, reviewer_jiangbei):
    body = staff_client(reviewer_jiangbei).get(API, {"year": 2023, "district": "500103"}).json()

    assert body["district_code"] == "500105"
    # 1000.00 + (350.00 + 610.00) - (100.00 + 65.50) = 1794.50; 1794.50 / (165.50 / 12) = 130.1
    assert figures(book(body, "resident_pooled")) == ("1000.00", "960.00", "165.50", "1794.50", "130.1")
    for fund in ("employee_pooled", "employee_accounts", "medical_aid", "employee_supplementary"):
        assert figures(book(body, fund)) == ("0.00", "0.00", "0.00", "0.00", None), fund
    assert figures(book(body, "resident_critical")) == ("0.00", "65.50", "0.00", "65.50", None)


def test_a_city_user_may_pick_a_district(scenario, auditor):
    body = staff_client(auditor).get(API, {"year": 2023, "district": "500105"}).json()
    assert (body["district_code"], book(body, "resident_pooled")["closing_balance"]) == ("500105", "1794.50")


def test_clerks_and_anonymous_callers_are_refused(scenario, clerk_yuzhong, client_for):
    assert client_for(clerk_yuzhong).get(URL, {"year": 2023}).status_code == 403
    assert staff_client(clerk_yuzhong).get(API, {"year": 2023}).status_code == 403
    anonymous = APIClient().get(API, {"year": 2023})
    assert anonymous.status_code in (401, 403) and "1600.84" not in anonymous.content.decode()
    assert Client().get(URL, {"year": 2023}).status_code == 302  # to the login page


def test_a_bad_year_gets_a_chinese_message(scenario, client_for, auditor):
    response = client_for(auditor).get(URL, {"year": "二〇二三"})
    assert response.status_code == 400 and "年度须为四位数字" in response.content.decode()
    api = staff_client(auditor).get(API, {"year": "abc"})
    assert api.status_code == 400 and api.json() == {"year": ["年度须为四位数字，如 2023"]}


# --- 3. warnings as data -------------------------------------------------------------------------------------


def test_warnings_name_their_rule_and_figure(scenario, auditor, reviewer_yuzhong, client_for):
    city = staff_client(auditor).get(API, {"year": 2023}).json()
    assert warned(city) == [
        ("yellow", EMPLOYEE, ABOVE_24, "可支付月数 26.1 个月"),
        ("yellow", EMPLOYEE, DEFICIT, "本年收入 7,200.00 元，支出 8,568.00 元，缺口 1,368.00 元"),
        ("yellow", RESIDENT, BELOW_6, "可支付月数 5.8 个月"),
        ("yellow", RESIDENT, DEFICIT, "本年收入 4,507.34 元，支出 7,112.00 元，缺口 2,604.66 元"),
    ]
    # personal accounts: 0.0 months, yet no months rule applies to them (they grow by design)
    assert book(city, "employee_accounts")["warnings"] == []
    yz = staff_client(reviewer_yuzhong).get(API, {"year": 2023}).json()
    assert ("red", RESIDENT, BELOW_3, "可支付月数 2.8 个月") in warned(yz)
    assert ("yellow", RESIDENT, BELOW_6, "可支付月数 2.8 个月") not in warned(yz)  # the worse rule only
    html = client_for(reviewer_yuzhong).get(URL, {"year": 2023}).content.decode()
    assert (
        f'<tr class="risk-danger" data-level="red"><td>【红色预警】</td><td>{RESIDENT}</td>'
        f"<td>可支付月数 2.8 个月</td><td>{BELOW_3}</td></tr>"
    ) in html


def test_a_rule_switched_off_raises_nothing(scenario, auditor):
    FundRiskRule.objects.filter(kind="months_above", fund__code="employee_pooled").update(active=False)
    FundRiskRule.objects.filter(kind="current_deficit").update(active=False)

    body = staff_client(auditor).get(API, {"year": 2023}).json()

    assert warned(body) == [("yellow", RESIDENT, BELOW_6, "可支付月数 5.8 个月")]


def test_a_budget_off_its_time_progress_is_warned(scenario, auditor):
    admin_fund = Fund.objects.get(code="employee_pooled")
    account = LedgerAccount.objects.get(fund=admin_fund, code="employer_contribution")
    FundBudget.objects.create(fund=admin_fund, year=2023, account=account, amount=D("5000.00"))

    body = staff_client(auditor).get(API, {"year": 2023}).json()

    # a past year: all 12 months elapsed, so the progress is the whole 5000.00; 7200.00 is 44.0 % off.
    # No expense budget, so no expense deviation.
    rule = f"预算执行偏离超过 20%（{DEFAULT}；按已过月份计算的预算进度与实际偏离的百分比）"
    assert ("yellow", EMPLOYEE, rule, "收入预算进度 5,000.00 元，实际 7,200.00 元，偏离 44.0%") in warned(body)
    assert [w for w in warned(body) if w[2] == rule] == [
        ("yellow", EMPLOYEE, rule, "收入预算进度 5,000.00 元，实际 7,200.00 元，偏离 44.0%")
    ]


def test_the_latest_failed_reconciliation_is_a_red_warning(scenario, auditor, client_for):
    day = timezone.make_aware(dt.datetime(2026, 1, 2, 3, 0))
    JobRun.objects.create(kind=RECONCILE_KIND, status="failed", finished_at=day, error="旧的差额")
    JobRun.objects.create(kind=RECONCILE_KIND, status="succeeded", finished_at=day + dt.timedelta(days=1))
    assert all(w[0] != "red" for w in warned(staff_client(auditor).get(API, {"year": 2023}).json()))

    JobRun.objects.create(
        kind=RECONCILE_KIND, status="failed", finished_at=day + dt.timedelta(days=2),
        error="payment resident_pooled individual_contribution 渝中区 2023：账簿 0.00，明细 350.00",
    )  # fmt: skip

    body = staff_client(auditor).get(API, {"year": 2023}).json()
    assert warned(body)[0] == (
        "red", "全部基金", "基金账簿与明细记录对账不符",
        "2026-01-04 03:00：payment resident_pooled individual_contribution 渝中区 2023：账簿 0.00，明细 350.00",
    )  # fmt: skip
    html = client_for(auditor).get(URL, {"year": 2023}).content.decode()
    assert "<td>基金账簿与明细记录对账不符</td>" in html and "账簿 0.00，明细 350.00" in html


# --- 4. budget ----------------------------------------------------------------------------------------------


def _budget(fund: str, account: str, amount: str) -> FundBudget:
    return FundBudget.objects.create(
        fund=Fund.objects.get(code=fund), year=2023, account=LedgerAccount.objects.get(fund__code=fund, code=account),
        amount=D(amount),
    )  # fmt: skip


def test_budget_execution_per_line_and_month(scenario, auditor, client_for):
    _budget("resident_pooled", "individual_contribution", "1500.00")
    _budget("resident_pooled", "fiscal_subsidy", "2500.00")
    _budget("resident_pooled", "pooled_inpatient", "8000.00")
    _budget("resident_pooled", "pooled_outpatient", "400.00")

    body = staff_client(auditor).get(API, {"year": 2023}).json()

    budget = book(body, "resident_pooled")["budget"]
    assert (budget["income"], budget["expense"], budget["elapsed"]) == ("4000.00", "8400.00", 12)
    assert [(x["account"], x["budget"], x["actual"], x["rate"]) for x in budget["lines"]] == [
        ("individual_contribution", "1500.00", "1425.00", "95.0"),  # 1425 / 1500
        ("fiscal_subsidy", "2500.00", "2440.00", "97.6"),  # 2440 / 2500
        ("pooled_outpatient", "400.00", "200.00", "50.0"),
        ("pooled_inpatient", "8000.00", "6650.00", "83.1"),  # 83.125 -> 83.1
    ]
    months = {m["month"]: (m["income_rate"], m["expense_rate"], m["expected_rate"]) for m in budget["months"]}
    assert months["2023-01"] == ("86.5", "2.3", "8.3")  # 3460 / 4000; 196.50 / 8400; 1 / 12
    assert months["2023-03"] == ("112.4", "82.3", "25.0")  # 4495 / 4000; 6912 / 8400
    assert months["2023-12"] == ("112.7", "84.7", "100.0")  # 4507.34 / 4000; 7112 / 8400
    # 112.7 % and 84.7 % against 100 %: within 20 %, so no budget warning
    assert not [w for w in body["warnings"] if w["rule"].startswith("预算执行偏离")]
    assert book(body, "employee_pooled")["budget"] is None

    html = client_for(auditor).get(URL, {"year": 2023}).content.decode()
    assert '<tr data-account="pooled_inpatient"><td>支出 · 住院支出</td><td class="num">6,650.00</td>' in html
    assert '<td class="num">8,000.00</td><td class="num">83.1%</td></tr>' in html
    assert (
        '<tr data-month="2023-01"><td>2023-01</td><td class="num">3,460.00</td><td class="num">196.50</td>'
        '<td class="num">9,263.50</td><td class="num">86.5%</td><td class="num">2.3%</td><td class="num">8.3%</td></tr>'
    ) in html


def _dataset(*rows) -> tablib.Dataset:
    return tablib.Dataset(*rows, headers=["年度", "基金代码", "科目代码", "预算金额"])


def test_a_budget_file_with_a_bad_row_changes_nothing_and_names_the_row(districts, municipal_admin):
    rows = _dataset(
        ["2023", "resident_pooled", "individual_contribution", "1500.00"],
        ["2023", "resident_pooled", "no_such_account", "10.00"],
        ["2023", "resident_pooled", "pooled_inpatient", "八千"],
    )
    events = AuditEvent.objects.count()

    result = FundBudgetResource().import_data(rows, dry_run=False, user=municipal_admin)

    assert result.has_validation_errors()
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert errors == {
        2: {"科目代码": ["城乡居民基本医疗保险基金没有收入或支出科目 no_such_account"]},
        3: {"预算金额": ["预算金额应为数字，最多两位小数"]},
    }
    assert not FundBudget.objects.exists() and AuditEvent.objects.count() == events


def test_a_good_budget_file_creates_the_lines_audited(districts, municipal_admin):
    rows = _dataset(
        ["2023", "resident_pooled", "individual_contribution", "1,500.00"],
        ["2023", "employee_pooled", "pooled_inpatient", "8000.5"],
    )

    result = FundBudgetResource().import_data(rows, dry_run=False, user=municipal_admin)

    assert not result.has_errors() and not result.has_validation_errors()
    assert sorted(FundBudget.objects.values_list("fund__code", "account__code", "amount", "updated_by")) == [
        ("employee_pooled", "pooled_inpatient", D("8000.50"), municipal_admin.pk),
        ("resident_pooled", "individual_contribution", D("1500.00"), municipal_admin.pk),
    ]
    events = AuditEvent.objects.filter(object_type="audit.fundbudget", action="import")
    assert events.count() == 2 and {e.actor_id for e in events} == {municipal_admin.pk}


def test_the_selector_reads_in_five_queries_whatever_the_data(scenario, auditor, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        fund_books(fetched_by=auditor, year=2023)


def test_roles_of_the_fund_pages(districts, make_user, client_for):
    supervisor = make_user("sup_yz", Role.FUND_SUPERVISOR, "500103")
    assert client_for(supervisor).get(URL, {"year": 2023}).status_code == 200
