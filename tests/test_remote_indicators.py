"""异地就医 indicators (issue 16 point 8): a small scenario counted by hand, read back through the selector,
the page /audit/remote-care/ and the API /api/v1/remote-care/indicators/, with district scoping and 403s.

Seed 004, Table 1 "本地参保人员异地结算情况": "异地就医备案人数 万人 - 4" and "异地就医直接结算人数 万人 - 3.4";
"异地参保人员本地结算情况": "异地就医直接结算人数 万人 - 19.7". 专栏3: "扩大异地就医直接结算覆盖范围，提高直接结算率".

Filings, settlements elsewhere and inbound settlements are made with the ORM (their services belong to other
parts of the issue), every required field filled as those services would."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.remote_indicators import chart_data, direct_rate, remote_indicators, remote_year_default
from benefits.models import BenefitPolicy, InboundSettlement, RemoteCareFiling, RemoteCareRule, Settlement
from benefits.services import institution_register
from benefits.services.institutions import institution_elsewhere
from core.roles import Role
from tests.benefits_support import staff_client
from tests.factories import ResidentEnrollmentFactory

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/audit/remote-care/"
API = "/api/v1/remote-care/indicators/"
_numbers = itertools.count(1)


def aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def insured(district):
    return ResidentEnrollmentFactory(person__district=district, start_date=dt.date(2022, 1, 1))


def filing(enrollment, filing_type, destination, start, end=None, revoked=None):
    rule = RemoteCareRule.objects.get(year=2023, filing_type=filing_type)
    return RemoteCareFiling.objects.create(
        person=enrollment.person, district=enrollment.district, scheme=enrollment.scheme, filing_type=filing_type,
        destination_code=destination, valid_from=start, valid_to=end, documents_checked=["个人承诺书"], rule=rule,
        status="revoked" if revoked else "active", revoked_at=aware(revoked) if revoked else None,
        revoke_reason="本人申请撤销" if revoked else "",
    )  # fmt: skip


def settled(enrollment, institution, *, kind="direct", area="", pooled="0", critical="0", aid="0", oop="0",
            year=2023, status="settled"):  # fmt: skip
    """One settlement whose parts add up: total = pooled + critical + aid + out of pocket (no account)."""
    parts = [D(pooled), D(critical), D(aid), D(oop)]
    total = sum(parts, D("0.00"))
    number = next(_numbers)
    return Settlement.objects.create(
        institution=institution, settlement_number=f"R{number}", kind=kind, status=status,
        person=enrollment.person, enrollment=enrollment, district=enrollment.district, scheme=enrollment.scheme,
        benefit_type="inpatient", institution_level=institution.level, service_date=dt.date(year, 3, 1),
        discharge_date=dt.date(year, 3, 5), year=year, total_cost=total, eligible_cost=total,
        deductible_applied=D("0.00"), pooled_paid=D(pooled), critical_paid=D(critical), aid_paid=D(aid),
        account_paid=D("0.00"), out_of_pocket=D(oop), policy=BenefitPolicy.objects.filter(year=2023).first(),
        settled_at=aware(dt.date(year, 3, 5)), care_area_code=area, remote_rule="long_term" if area else "",
        platform_number=f"P{number}" if area and kind == "direct" else "",
        reversed_at=aware(dt.date(year, 3, 6)) if status == "reversed" else None,
    )  # fmt: skip


def inbound(institution, area, id_number, *, pooled, critical="0", oop="0", status="settled"):
    total = D(pooled) + D(critical) + D(oop)
    number = next(_numbers)
    return InboundSettlement.objects.create(
        platform_number=f"IN{number}", institution=institution, district=institution.district,
        insured_area_code=area, id_number=id_number, name="外地患者", scheme="resident", benefit_type="inpatient",
        service_date=dt.date(2023, 4, 1), discharge_date=dt.date(2023, 4, 6), year=2023, total_cost=total,
        eligible_cost=total, terms={"ratio": "0.70", "deductible": "800.00"}, pooled_paid=D(pooled),
        critical_paid=D(critical), out_of_pocket=D(oop), status=status, settled_at=aware(dt.date(2023, 4, 6)),
    )  # fmt: skip


@pytest.fixture
def scenario(districts, policy_2023, hospital_yz):
    """Given, for 2023 (渝中 unless said):
    * filings: A 异地安置退休 to 四川 510000 from 2022-06-01 (open-ended); B 其他临时外出 to 440300 for
      2023-03..08 and 转诊转院 to 四川 for 2023-09..2024-02; C 急诊抢救 to 110000 in January 2022 only
      (expired); D 其他临时外出 to 310000 for 2023-01..06, revoked 2023-02-01 (in force a month);
      F 异地长期居住 to 320000 from 2023-05-01, revoked 2023-04-20 (never in force); G to 330000 from
      2024-01-05 (not yet); E (江北) 常驻异地工作 to 四川 from 2023-02-01;
    * settlements elsewhere: A direct at 510100 twice (6000.00; 1500.50 + 200.25 大病), B direct at 440300
      (3000.00 + 100.00 救助) and manual at 440300 (500.00), D manual at 310000 (800.00); C direct at 110000
      reversed, and one in 2022; A in the city (not 异地); E (江北) direct at 510100 (700.00) and manual at
      510000 (100.10);
    * inbound at 渝中区人民医院: X (四川) twice (3000.00 + 500.00 大病; 100.00), Y (湖北 420000) 1000.00, W
      reversed; at a 江北 hospital: Z (四川) 2000.00."""
    yz, jb = districts["500103"], districts["500105"]
    people = {key: insured(yz) for key in "ABCDFG"}
    people["E"] = insured(jb)
    a, b, c, d, e = (people[k] for k in "ABCDE")
    filing(a, "retired_elsewhere", "510000", dt.date(2022, 6, 1))
    filing(b, "other_temporary", "440300", dt.date(2023, 3, 1), dt.date(2023, 8, 31))
    filing(b, "referral", "510000", dt.date(2023, 9, 1), dt.date(2024, 2, 29))
    filing(c, "emergency", "110000", dt.date(2022, 1, 1), dt.date(2022, 1, 31))
    filing(d, "other_temporary", "310000", dt.date(2023, 1, 1), dt.date(2023, 6, 30), revoked=dt.date(2023, 2, 1))
    filing(people["F"], "living_elsewhere", "320000", dt.date(2023, 5, 1), revoked=dt.date(2023, 4, 20))
    filing(people["G"], "other_temporary", "330000", dt.date(2024, 1, 5), dt.date(2024, 6, 30))
    filing(e, "working_elsewhere", "510000", dt.date(2023, 2, 1))

    on = dt.date(2023, 3, 1)
    chengdu = institution_elsewhere(code="H51010000001", name="四川大学华西医院", level=3, area_code="510100", on=on)
    shenzhen = institution_elsewhere(code="H44030000001", name="深圳市人民医院", level=3, area_code="440300", on=on)
    shanghai = institution_elsewhere(code="H31000000001", name="上海市第一人民医院", level=3, area_code="310000", on=on)
    beijing = institution_elsewhere(code="H11000000001", name="北京协和医院", level=3, area_code="110000", on=on)
    sichuan = institution_elsewhere(code="H51000000001", name="四川省人民医院", level=3, area_code="510000", on=on)
    settled(a, chengdu, area="510100", pooled="6000.00", oop="4000.00")
    settled(a, chengdu, area="510100", pooled="1500.50", critical="200.25", oop="299.25")
    settled(b, shenzhen, area="440300", pooled="3000.00", aid="100.00", oop="900.00")
    settled(b, shenzhen, kind="manual", area="440300", pooled="500.00", oop="500.00")
    settled(d, shanghai, kind="manual", area="310000", pooled="800.00", oop="1200.00")
    settled(c, beijing, area="110000", pooled="999.00", oop="1000.00", status="reversed")
    settled(c, beijing, area="110000", pooled="999.00", oop="1000.00", year=2022)
    settled(a, hospital_yz, pooled="555.00", oop="45.00")
    settled(e, chengdu, area="510100", pooled="700.00", oop="300.00")
    settled(e, sichuan, kind="manual", area="510000", pooled="100.10", oop="99.90")

    hospital_jb = institution_register(
        actor=None, name="江北区人民医院", kind="hospital", level=2, district_id=jb.pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip
    inbound(hospital_yz, "510000", "510104198001010011", pooled="3000.00", critical="500.00", oop="1500.00")
    inbound(hospital_yz, "510000", "510104198001010011", pooled="100.00", oop="200.00")
    inbound(hospital_yz, "420000", "420102198001010022", pooled="1000.00", oop="500.00")
    inbound(hospital_yz, "510000", "510104198001010033", pooled="999.00", oop="1.00", status="reversed")
    inbound(hospital_jb, "510000", "510104198001010044", pooled="2000.00", oop="500.00")
    return people


CITY = {
    "filed_persons": 4,  # A, B, D (渝中), E (江北); C expired, F never in force, G not yet
    "direct_persons": 3, "direct_count": 4, "direct_fund_paid": D("11500.75"), "direct_total_cost": D("17000.00"),
    "manual_persons": 3, "manual_count": 3, "manual_fund_paid": D("1400.10"), "manual_total_cost": D("3200.00"),
    "direct_rate": D("57.14"),  # 4 / (4 + 3) = 57.142857...%
    "inbound_persons": 3, "inbound_count": 4, "inbound_advanced": D("6600.00"), "inbound_total_cost": D("9300.00"),
}  # fmt: skip
YUZHONG = {
    "filed_persons": 3,
    "direct_persons": 2, "direct_count": 3, "direct_fund_paid": D("10800.75"), "direct_total_cost": D("16000.00"),
    "manual_persons": 2, "manual_count": 2, "manual_fund_paid": D("1300.00"), "manual_total_cost": D("3000.00"),
    "direct_rate": D("60.00"),  # 3 / 5
    "inbound_persons": 2, "inbound_count": 3, "inbound_advanced": D("4600.00"), "inbound_total_cost": D("6800.00"),
}  # fmt: skip
JIANGBEI = {
    "filed_persons": 1,
    "direct_persons": 1, "direct_count": 1, "direct_fund_paid": D("700.00"), "direct_total_cost": D("1000.00"),
    "manual_persons": 1, "manual_count": 1, "manual_fund_paid": D("100.10"), "manual_total_cost": D("200.00"),
    "direct_rate": D("50.00"),
    "inbound_persons": 1, "inbound_count": 1, "inbound_advanced": D("2000.00"), "inbound_total_cost": D("2500.00"),
}  # fmt: skip


def figures(row: dict) -> dict:
    return {k: row[k] for k in CITY}


def test_city_totals_counted_by_hand(scenario, municipal_admin, django_assert_num_queries):
    # Set-based: ten queries (filings ×3, settlements elsewhere ×3, inbound ×3, the district list).
    with django_assert_num_queries(10):
        data = remote_indicators(fetched_by=municipal_admin, year=2023)
    assert (data["scope"], data["district_code"]) == ("全市", None)
    assert figures(data["totals"]) == CITY
    indicators = {i["key"]: i for i in data["indicators"]}
    assert list(indicators) == list(CITY)
    assert indicators["filed_persons"]["name"] == "异地就医备案人数"  # 004 Table 1, verbatim
    assert indicators["direct_persons"]["name"] == "异地就医直接结算人数"
    assert indicators["direct_rate"]["value"] == D("57.14")
    assert indicators["direct_rate"]["format"] == "rate"
    assert indicators["direct_fund_paid"]["format"] == "money"
    assert all(i["definition"] for i in indicators.values())


def test_by_district_and_by_area(scenario, municipal_admin):
    data = remote_indicators(fetched_by=municipal_admin, year=2023)
    rows = {r["district_code"]: r for r in data["by_district"]}
    assert len(rows) == 41  # every district of the city, zeros where nothing happened
    assert figures(rows["500103"]) == YUZHONG
    assert figures(rows["500105"]) == JIANGBEI
    assert rows["500101"]["filed_persons"] == 0 and rows["500101"]["direct_rate"] is None
    areas = {r["area_code"]: r for r in data["by_area"]}
    assert list(areas) == ["310000", "420000", "440300", "510000", "510100"]  # 110000: reversed or 2022 only
    assert areas["510000"]["area_name"] == "四川省"
    assert areas["510100"]["area_name"] == "四川省（510100）"
    sichuan_city = areas["510100"]
    assert (sichuan_city["direct_persons"], sichuan_city["direct_count"]) == (2, 3)
    assert (sichuan_city["direct_fund_paid"], sichuan_city["direct_total_cost"]) == (D("8400.75"), D("13000.00"))
    assert sichuan_city["direct_rate"] == D("100.00")
    sichuan = areas["510000"]
    assert sichuan["filed_persons"] == 3  # A, B (the referral), E
    assert (sichuan["manual_persons"], sichuan["manual_count"], sichuan["manual_fund_paid"]) == (1, 1, D("100.10"))
    assert sichuan["direct_rate"] == D("0.00")
    assert (sichuan["inbound_persons"], sichuan["inbound_count"]) == (2, 3)  # X twice, Z; W reversed
    assert (sichuan["inbound_advanced"], sichuan["inbound_total_cost"]) == (D("5600.00"), D("7800.00"))
    shenzhen = areas["440300"]
    assert (shenzhen["filed_persons"], shenzhen["direct_count"], shenzhen["manual_count"]) == (1, 1, 1)
    assert (shenzhen["direct_fund_paid"], shenzhen["direct_rate"]) == (D("3100.00"), D("50.00"))
    assert (areas["310000"]["filed_persons"], areas["310000"]["manual_fund_paid"]) == (1, D("800.00"))
    assert (areas["420000"]["inbound_persons"], areas["420000"]["inbound_advanced"]) == (1, D("1000.00"))

    charts = chart_data(data)
    assert charts["districts"]["labels"] == ["渝中区", "江北区"]
    assert (charts["districts"]["filed"], charts["districts"]["direct"]) == ([3, 1], [2, 1])
    assert charts["areas"]["labels"] == ["上海市", "广东省（440300）", "四川省", "四川省（510100）"]
    assert (charts["areas"]["direct"], charts["areas"]["manual"]) == ([0, 1, 0, 3], [1, 1, 1, 0])


def test_city_wide_user_may_pick_a_district(scenario, municipal_admin, districts):
    data = remote_indicators(fetched_by=municipal_admin, year=2023, district=districts["500105"])
    assert figures(data["totals"]) == JIANGBEI
    assert [r["district_code"] for r in data["by_district"]] == ["500105"]


def test_district_reviewer_sees_only_their_district(scenario, reviewer_jiangbei, reviewer_yuzhong, districts):
    """Filings belong to the person's district, settlements to the insuring district, inbound settlements
    to the institution's district (issue 16: "other districts see nothing")."""
    data = remote_indicators(fetched_by=reviewer_jiangbei, year=2023, district=districts["500103"])  # asks 渝中
    assert (data["scope"], data["district_code"]) == ("江北区", "500105")
    assert figures(data["totals"]) == JIANGBEI
    assert [r["district_code"] for r in data["by_district"]] == ["500105"]
    assert {r["area_code"] for r in data["by_area"]} == {"510000", "510100"}  # no 渝中 destinations
    assert figures(remote_indicators(fetched_by=reviewer_yuzhong, year=2023)["totals"]) == YUZHONG


def test_jiangbei_sees_zero_for_yuzhong_data(districts, policy_2023, hospital_yz, reviewer_jiangbei, client_for):
    person = insured(districts["500103"])
    filing(person, "retired_elsewhere", "510000", dt.date(2023, 1, 1))
    elsewhere = institution_elsewhere(
        code="H51010000002", name="成都市第一人民医院", level=3, area_code="510100", on=dt.date(2023, 1, 1)
    )
    settled(person, elsewhere, area="510100", pooled="100.00", oop="10.00")
    inbound(hospital_yz, "510000", "510104198001010055", pooled="50.00")

    data = remote_indicators(fetched_by=reviewer_jiangbei, year=2023)
    zero = {"filed_persons": 0, "direct_persons": 0, "direct_count": 0, "direct_fund_paid": D("0.00"),
            "manual_count": 0, "direct_rate": None, "inbound_persons": 0, "inbound_advanced": D("0.00")}  # fmt: skip
    assert {k: data["totals"][k] for k in zero} == zero
    assert data["by_area"] == []
    body = staff_client(reviewer_jiangbei).get(API, {"year": 2023, "district": "500103"}).json()
    assert body["district_code"] == "500105"
    assert {k: body["totals"][k] for k in ("filed_persons", "direct_persons", "inbound_persons")} == dict.fromkeys(
        ("filed_persons", "direct_persons", "inbound_persons"), 0
    )
    assert body["totals"]["direct_fund_paid"] == "0.00" and body["by_area"] == []
    page = client_for(reviewer_jiangbei).get(URL, {"year": 2023})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="value-filed_persons">0 人<' in html
    assert 'data-district="500103"' not in html and "四川省" not in html


def test_page_shows_every_figure(scenario, municipal_admin, client_for):
    response = client_for(municipal_admin).get(URL, {"year": 2023})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="remote-scope">全市<' in html
    assert 'data-testid="value-filed_persons">4 人<' in html
    assert 'data-testid="value-direct_persons">3 人<' in html
    assert 'data-testid="value-direct_fund_paid">11,500.75 元<' in html
    assert 'data-testid="value-direct_rate">57.14%<' in html
    assert 'data-testid="value-inbound_advanced">6,600.00 元<' in html
    # The tables carry the figures the charts draw.
    row = html[html.index('data-district="500103"') : html.index("</tr>", html.index('data-district="500103"'))]
    cells = [c.split("<")[0] for c in row.split('class="num">')[1:]]
    assert cells == ["3", "2", "3", "10,800.75", "16,000.00", "2", "2", "1,300.00", "60.00%", "2", "3", "4,600.00"]
    assert 'id="remote-chart-data"' in html and "js/remote_dashboard.js" in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style


def test_page_year_defaults_to_latest_year_with_data(scenario, municipal_admin, client_for):
    assert remote_year_default() == 2023  # settlements of 2022 and 2023; G's filing of 2024 does not count
    response = client_for(municipal_admin).get(URL)
    assert response.status_code == 200
    assert response.context["data"]["year"] == 2023


def test_bad_year_is_refused_in_chinese(municipal_admin, client_for):
    response = client_for(municipal_admin).get(URL, {"year": "abc"})
    assert response.status_code == 400
    assert "年度须为四位数字，如 2023" in response.content.decode()
    api = staff_client(municipal_admin).get(API, {"year": "abc"})
    assert api.status_code == 400
    assert api.json()["year"] == ["年度须为四位数字，如 2023"]


def test_api_matches_the_page(scenario, auditor):
    response = staff_client(auditor).get(API, {"year": 2023})
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2023 and body["scope"] == "全市"
    assert body["totals"]["direct_rate"] == "57.14"
    assert body["totals"]["direct_fund_paid"] == "11500.75"
    assert body["totals"]["filed_persons"] == 4
    assert {i["key"]: i["value"] for i in body["indicators"]}["inbound_advanced"] == "6600.00"
    yuzhong = next(r for r in body["by_district"] if r["district_code"] == "500103")
    assert yuzhong["direct_rate"] == "60.00" and yuzhong["manual_fund_paid"] == "1300.00"
    picked = staff_client(auditor).get(API, {"year": 2023, "district": "500105"}).json()
    assert picked["totals"]["direct_fund_paid"] == "700.00"
    assert picked["totals"]["inbound_advanced"] == "2000.00"
    empty = staff_client(auditor).get(API, {"year": 2022}).json()
    assert empty["totals"]["direct_count"] == 1  # C's 2022 settlement at 110000
    assert empty["totals"]["manual_count"] == 0 and empty["totals"]["direct_rate"] == "100.00"
    assert empty["totals"]["filed_persons"] == 2  # A (from 2022-06), C (January 2022)


@pytest.mark.parametrize("role", [Role.DISTRICT_CLERK, Role.REMOTE_PLATFORM, Role.SELF_SERVICE])
def test_roles_without_view_audit_get_403(role, make_user, client_for):
    user = make_user(f"user_{role}", role, "500103" if role == Role.DISTRICT_CLERK else None)
    assert client_for(user).get(URL, {"year": 2023}).status_code == 403
    assert staff_client(user).get(API, {"year": 2023}).status_code == 403


def test_institution_account_gets_403(institution_user):
    assert staff_client(institution_user).get(API, {"year": 2023}).status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(API).status_code in (401, 403)


@pytest.mark.parametrize(
    ("direct", "manual", "rate"),
    [(0, 0, None), (1, 0, D("100.00")), (0, 3, D("0.00")), (2, 1, D("66.67")), (1, 2, D("33.33")), (1, 7, D("12.50"))],
)
def test_direct_rate_rounds_half_up_to_a_hundredth(direct, manual, rate):
    assert direct_rate(direct, manual) == rate
