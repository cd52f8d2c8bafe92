"""Cross-region direct settlement (异地就医直接结算), outbound and inbound, by status codes, amounts to the
fen and the rows written.

Seeds: 000 "完善医保异地就医直接结算制度"; 001 "积极推进门诊费用异地就医直接结算"; 002 "进一步扩大跨省异地就医
直接结算定点医药机构和门诊特殊疾病病种范围，取消市内跨区县三级医疗机构住院备案手续". The national principle the
issue names, "就医地目录、参保地政策、就医地管理": outbound settles under our policy and accumulators (reduced by
the filing's rule), inbound under the insured area's terms as the platform supplies them.
"""

import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from benefits.models import AnnualAccumulator, InboundSettlement, Institution, RemoteCareFiling, Settlement
from benefits.remote_selectors import remote_care_rule
from benefits.services import SettlementRequest, institution_register, settlement_create
from core.api_tokens import api_token_list
from core.ledger import RULES, PostingRule, register_posting_rules
from core.models import AuditEvent, JournalEntry, JournalLine, User
from core.roles import Role
from core.services import staff_user_create
from tests.benefits_support import SETTLEMENTS, D, claim, employee, resident, staff_client, token_client
from tests.conftest import PASSWORD
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db
CHINESE = re.compile(r"[\u4e00-\u9fff]")
OUTBOUND = "/api/v1/remote/outbound-settlements/"
INBOUND = "/api/v1/remote/inbound-settlements/"
CHENGDU = "510100"  # 四川省成都市
ELSEWHERE_L2 = "H51010000001"


@pytest.fixture(autouse=True)
def _inbound_posting_rules():
    """benefits/postings.py owns the rules for "remote_inbound"/"remote_inbound_rev"; until they exist,
    a temporary rule that posts nothing lets the services run (removed again after the test)."""
    added = [
        PostingRule(source, lambda **_scope: [])
        for source in ("remote_inbound", "remote_inbound_rev")
        if source not in RULES
    ]
    register_posting_rules(*added)
    yield
    for rule in added:
        RULES.pop(rule.source, None)


@pytest.fixture
def platform(districts):
    user = staff_user_create(
        actor=None, username="platform", password=PASSWORD, role=Role.REMOTE_PLATFORM, district_id=None
    )
    return token_client(user)


@pytest.fixture
def hospital_jb(districts):
    """A level-3 hospital of Jiangbei, with its system account."""
    hospital = institution_register(
        actor=None, name="江北区第一人民医院", kind="hospital", level=3, district_id=districts["500105"].pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip
    user = staff_user_create(
        actor=None, username="his_jb", password=PASSWORD, role=Role.INSTITUTION,
        district_id=hospital.district_id, institution_id=hospital.pk,
    )  # fmt: skip
    return hospital, token_client(user)


def file_remote(person, filing_type="retired_elsewhere", destination=CHENGDU, valid_from=dt.date(2023, 1, 1)):
    """A filing as the filing service would make it (another engineer's service: the ORM here)."""
    enrollment = person.enrollments.order_by("-start_date").first()
    return RemoteCareFiling.objects.create(
        person=person, district_id=enrollment.district_id, scheme=enrollment.scheme, filing_type=filing_type,
        destination_code=destination, valid_from=valid_from, rule=remote_care_rule(year=2023, filing_type=filing_type),
    )  # fmt: skip


def outbound(person, number="PT-0001", **overrides) -> dict:
    """The platform's message: by default a level-2 inpatient stay in Chengdu in March 2023."""
    body = {
        "platform_number": number,
        "care_area_code": CHENGDU,
        "institution_code": ELSEWHERE_L2,
        "institution_name": "成都市第二人民医院",
        "institution_level": 2,
        "id_number": person.id_number,
        "name": person.name,
        "benefit_type": "inpatient",
        "service_date": "2023-03-01",
        "discharge_date": "2023-03-10",
        "total_cost": "12000.00",
        "eligible_cost": "10000.00",
    }
    body.update(overrides)
    return body


def settle_at_home(person, hospital, number="HOME-1", **overrides) -> Settlement:
    values = {
        "settlement_number": number, "id_number": person.id_number, "benefit_type": "inpatient",
        "service_date": dt.date(2023, 3, 1), "discharge_date": dt.date(2023, 3, 10),
        "total_cost": "12000.00", "eligible_cost": "10000.00", "use_account": False,
    }  # fmt: skip
    values.update(overrides)
    settlement, created = settlement_create(actor=None, institution=hospital, request=SettlementRequest(**values))
    assert created
    return settlement


def _refused(response, field: str, fragment: str = "") -> str:
    assert response.status_code == 400, response.content.decode()
    body = response.json()
    assert field in body, body
    message = " ".join(body[field]) if isinstance(body[field], list) else str(body[field])
    assert CHINESE.search(message), message
    assert fragment in message, message
    return message


AMOUNTS = ["deductible_applied", "pooled_paid", "critical_paid", "aid_paid", "account_paid", "out_of_pocket"]


# --- Outbound -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_person",
    [
        pytest.param(lambda: employee(category="retired"), id="retiree"),
        pytest.param(lambda: employee(), id="employee"),
        pytest.param(lambda: resident(), id="resident"),
    ],
)
def test_long_term_filing_settles_with_exactly_the_home_figures(platform, policy_2023, hospital_yz, make_person):
    """ "参保地政策": with a long-term filing (ratio_reduction 0, the seed policy's remote_care), the same
    care elsewhere costs the fund and the patient exactly what it would at home at the same level."""
    away, home = make_person(), make_person()
    filing = file_remote(away, "retired_elsewhere")
    at_home = settle_at_home(home, hospital_yz)  # 渝中区人民医院: level 2, as the Chengdu hospital

    response = platform.post(OUTBOUND, outbound(away), format="json")

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    s = Settlement.objects.get(pk=body["id"])
    assert {f: getattr(s, f) for f in AMOUNTS} == {f: getattr(at_home, f) for f in AMOUNTS}
    assert s.pooled_paid > 0 and s.account_paid == 0
    assert (s.kind, s.care_area_code, s.platform_number, s.filing_id) == ("direct", CHENGDU, "PT-0001", filing.pk)
    assert (s.remote_rule, s.ratio_reduction, s.settlement_number) == ("long_term", D("0"), "PT-0001")
    assert s.institution.code == ELSEWHERE_L2 and s.institution.area_code == CHENGDU and s.institution.district is None
    assert s.district_id == away.district_id and s.policy_id == at_home.policy_id
    assert "长期异地备案" in s.steps[0] and "统筹基金支付比例不降低" in s.steps[0]
    assert body["remote_rule"] == "long_term" and body["care_area_code"] == CHENGDU
    assert (
        AuditEvent.objects.filter(object_type="benefits.settlement", object_id=str(s.pk), action="create").count() == 1
    )
    assert JournalEntry.objects.filter(source="settlement", source_id=s.pk).count() == 1


def test_other_temporary_filing_pays_ten_points_less(platform, policy_2023):
    """Policy file remote_care: other_temporary "ratio_reduction": "0.1000" (可配置默认值)."""
    person = resident()
    file_remote(person, "other_temporary", valid_from=dt.date(2023, 2, 1))

    response = platform.post(OUTBOUND, outbound(person), format="json")

    assert response.status_code == 201, response.content.decode()
    s = Settlement.objects.get(pk=response.json()["id"])
    # Resident, inpatient, level 2, 2023: deductible 500.00 per admission, ratio 70%; 10 points off -> 60%.
    # (10000.00 - 500.00) x 0.60 = 5700.00
    assert s.pooled_paid == D("5700.00")
    assert (s.remote_rule, s.ratio_reduction) == ("temporary", D("0.1000"))
    assert s.total_cost == s.pooled_paid + s.critical_paid + s.aid_paid + s.account_paid + s.out_of_pocket
    assert "统筹基金支付比例降低 10 个百分点" in s.steps[0]


def test_province_filing_covers_its_cities(platform, policy_2023):
    person = resident()
    file_remote(person, "living_elsewhere", destination="510000")
    response = platform.post(OUTBOUND, outbound(person), format="json")
    assert response.status_code == 201, response.content.decode()


def test_unfiled_care_is_refused_and_left_to_manual_reimbursement(platform, policy_2023):
    person = resident()
    file_remote(person, destination="440000")  # a filing for 广东省 does not cover Chengdu

    response = platform.post(OUTBOUND, outbound(person), format="json")

    _refused(response, "care_area_code", "零星报销")
    assert "没有覆盖四川省（510100）的有效异地就医备案" in " ".join(response.json()["care_area_code"])
    assert not Settlement.objects.exists()
    assert not AnnualAccumulator.objects.filter(person=person, settlement_count__gt=0).exists()


def test_revoked_or_expired_filing_does_not_cover(platform, policy_2023):
    person = resident()
    filing = file_remote(person, "referral")
    filing.status = RemoteCareFiling.Status.REVOKED
    filing.save()
    expired = file_remote(person, "emergency", valid_from=dt.date(2023, 1, 1))
    RemoteCareFiling.objects.filter(pk=expired.pk).update(valid_to=dt.date(2023, 2, 28))
    _refused(platform.post(OUTBOUND, outbound(person), format="json"), "care_area_code", "零星报销")


def test_name_must_match_the_insured(platform, policy_2023):
    person = resident()
    file_remote(person)
    _refused(platform.post(OUTBOUND, outbound(person, name="张冒名"), format="json"), "name", "不一致")
    assert not Settlement.objects.exists()


def test_refuses_home_area_and_institution_of_ours(platform, policy_2023, hospital_yz):
    person = resident()
    file_remote(person)
    _refused(platform.post(OUTBOUND, outbound(person, care_area_code="500103"), format="json"), "care_area_code")
    body = outbound(person, institution_code=hospital_yz.code, care_area_code="500000")
    _refused(platform.post(OUTBOUND, body, format="json"), "care_area_code")
    _refused(
        platform.post(OUTBOUND, outbound(person, institution_code="H44030000001"), format="json"),
        "institution_code",
        "就医地",
    )
    assert not Settlement.objects.exists()


def test_one_annual_cap_for_home_and_elsewhere(platform, policy_2023, hospital_yz):
    """Our accumulators, under the same row lock: a stay at home then one elsewhere share one cap."""
    person = resident()
    file_remote(person)
    # Level 2 resident inpatient: cap 150,000.00. At home: (200,000 - 500) x 70% = 139,650.00.
    home = settle_at_home(person, hospital_yz, total_cost="200000.00", eligible_cost="200000.00")
    assert home.pooled_paid == D("139650.00")

    response = platform.post(OUTBOUND, outbound(person, total_cost="20000.00", eligible_cost="20000.00"), format="json")

    assert response.status_code == 201, response.content.decode()
    # (20,000 - 500) x 70% = 13,650.00 would pass the cap: only the 10,350.00 left of it is paid.
    assert D(response.json()["pooled_paid"]) == D("10350.00")
    acc = AnnualAccumulator.objects.get(person=person, year=2023)
    assert acc.pooled_inpatient == D("150000.00") and acc.settlement_count == 2


def test_retry_returns_the_first_result_and_conflicts_are_409(platform, policy_2023):
    person = resident()
    file_remote(person)
    first = platform.post(OUTBOUND, outbound(person), format="json")
    assert first.status_code == 201
    audit = AuditEvent.objects.count()

    again = platform.post(OUTBOUND, outbound(person), format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["pooled_paid"] == first.json()["pooled_paid"]

    other_amount = platform.post(OUTBOUND, outbound(person, total_cost="12500.00"), format="json")
    assert other_amount.status_code == 409, other_amount.content.decode()
    assert "PT-0001" in str(other_amount.json())
    # The platform's number is one across institutions (constraint one_platform_number).
    elsewhere = outbound(person, institution_code="H51010000002", institution_name="成都市第三人民医院")
    other_institution = platform.post(OUTBOUND, elsewhere, format="json")
    assert other_institution.status_code == 409, other_institution.content.decode()

    assert Settlement.objects.count() == 1 and AuditEvent.objects.count() == audit
    assert not Institution.objects.filter(code="H51010000002").exists()
    assert AnnualAccumulator.objects.get(person=person, year=2023).settlement_count == 1


def test_platform_reverses_its_settlement_once(platform, policy_2023):
    person = resident()
    file_remote(person)
    settled = platform.post(OUTBOUND, outbound(person), format="json").json()
    url = f"{OUTBOUND}PT-0001/reversal/"

    response = platform.post(url, {"reason": "平台撤销结算"}, format="json")
    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "reversed"
    acc = AnnualAccumulator.objects.get(person=person, year=2023)
    assert (acc.pooled_inpatient, acc.settlement_count) == (D("0.00"), 0)
    events = AuditEvent.objects.filter(object_type="benefits.settlement", object_id=str(settled["id"])).count()

    again = platform.post(url, {"reason": "重复发送"}, format="json")
    assert again.status_code == 200 and again.json()["reversal_reason"] == "平台撤销结算"
    assert AuditEvent.objects.filter(object_type="benefits.settlement", object_id=str(settled["id"])).count() == events
    assert JournalEntry.objects.filter(source="reversal", source_id=settled["id"]).count() == 1
    assert platform.post(f"{OUTBOUND}NOPE/reversal/", {"reason": "x"}, format="json").status_code == 404
    _refused(platform.post(url, {}, format="json"), "reason")


def test_platform_cannot_reverse_a_home_settlement(platform, policy_2023, hospital_yz):
    """settlement_reverse itself: the platform account reverses only what it sent."""
    from django.core.exceptions import PermissionDenied

    from benefits.services import settlement_reverse

    home = settle_at_home(resident(), hospital_yz)
    user = User.objects.get(username="platform")
    with pytest.raises(PermissionDenied):
        settlement_reverse(actor=user, settlement=home, reason="越权冲正")
    home.refresh_from_db()
    assert home.status == "settled"


def test_roles(platform, clerk_yuzhong, institution_user, policy_2023):
    person = resident()
    file_remote(person)
    # The platform only sends settlements: it reads no list.
    for url in (SETTLEMENTS, INBOUND, "/api/v1/persons/"):
        assert platform.get(url).status_code == 403, url
    # Staff and institutions cannot send outbound settlements.
    assert staff_client(clerk_yuzhong).post(OUTBOUND, outbound(person), format="json").status_code == 403
    assert token_client(institution_user).post(OUTBOUND, outbound(person), format="json").status_code == 403
    assert platform.post(INBOUND, {}, format="json").status_code == 403
    assert not Settlement.objects.exists()


def test_bad_shapes_are_400_in_chinese(platform, policy_2023):
    person = resident()
    file_remote(person)
    _refused(platform.post(OUTBOUND, outbound(person, total_cost="-1"), format="json"), "total_cost")
    _refused(platform.post(OUTBOUND, outbound(person, care_area_code="51"), format="json"), "care_area_code")
    _refused(platform.post(OUTBOUND, outbound(person, eligible_cost="13000.00"), format="json"), "eligible_cost")
    _refused(platform.post(OUTBOUND, outbound(person, discharge_date=None), format="json"), "discharge_date")


# --- 002: within the city no filing ------------------------------------------------------------------


def test_cross_district_level3_inpatient_needs_no_filing(hospital_jb, policy_2023):
    """002: "取消市内跨区县三级医疗机构住院备案手续" — a Yuzhong resident's stay at a level-3 hospital of
    Jiangbei settles through the ordinary institution API: no filing, no reduction, not 异地就医."""
    hospital, his = hospital_jb
    person = resident()  # insured in 渝中区
    assert not RemoteCareFiling.objects.filter(person=person).exists()

    response = his.post(SETTLEMENTS, claim(person, "JB-1"), format="json")

    assert response.status_code == 201, response.content.decode()
    s = Settlement.objects.get(pk=response.json()["id"])
    assert (s.care_area_code, s.remote_rule, s.ratio_reduction, s.filing_id) == ("", "", D("0"), None)
    # Resident, inpatient, level 3: deductible 800.00, ratio 60%: (10,000 - 800) x 60% = 5,520.00.
    assert s.pooled_paid == D("5520.00")
    assert s.district.code == "500103" and s.institution.district.code == "500105"
    assert not any("异地" in step for step in s.steps)


# --- Inbound ------------------------------------------------------------------------------------------


def inbound_body(number="IN-0001", **overrides) -> dict:
    body = {
        "platform_number": number,
        "insured_area_code": CHENGDU,
        "id_number": make_id_number(area="510104", seq=7),
        "name": "李成都",
        "scheme": "employee",
        "benefit_type": "inpatient",
        "service_date": "2023-03-01",
        "discharge_date": "2023-03-10",
        "total_cost": "12000.00",
        "eligible_cost": "10000.00",
        "terms": {"deductible": "1000.00", "ratio": "0.85", "cap_remaining": "100000.00", "critical_paid": "300.00"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def his(institution_user):
    return token_client(institution_user)


def test_inbound_settles_under_the_supplied_terms(his, hospital_yz, policy_2023):
    """ "参保地政策": the insured area's deductible, ratio and cap as the platform sent them, not ours."""
    response = his.post(INBOUND, inbound_body(), format="json")

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    row = InboundSettlement.objects.get(pk=body["id"])
    # (10,000.00 - 1,000.00) x 85% = 7,650.00; tier 2 as supplied 300.00; 12,000 - 7,650 - 300 = 4,050.00.
    # Our own policy (employee, inpatient, level 2: 400.00 and 88%) would have paid 8,448.00.
    assert (row.pooled_paid, row.critical_paid, row.out_of_pocket) == (D("7650.00"), D("300.00"), D("4050.00"))
    assert row.advanced == D("7950.00") and body["advanced"] == "7950.00"
    assert row.terms == {
        "deductible": "1000.00",
        "ratio": "0.8500",
        "cap_remaining": "100000.00",
        "critical_paid": "300.00",
    }
    assert (row.institution_id, row.district_id, row.year, row.status) == (
        hospital_yz.pk, hospital_yz.district_id, 2023, "settled"
    )  # fmt: skip
    assert body["id_number_masked"].startswith("510104") and "*" in body["id_number_masked"]
    assert "参保地" in row.steps[0] and "7,650.00" in " ".join(row.steps)
    assert AuditEvent.objects.filter(object_type="benefits.inboundsettlement", object_id=str(row.pk)).count() == 1
    assert JournalEntry.objects.filter(source="remote_inbound", source_id=row.pk).count() == 1
    if RULES["remote_inbound"].rows.__module__ == "benefits.postings":
        receivable = JournalLine.objects.filter(source="remote_inbound", account__code="remote_receivable")
        assert receivable.aggregate(total=Sum("amount"))["total"] == D("7950.00")


def test_inbound_cap_and_half_up_rounding(his, hospital_yz):
    capped = inbound_body("IN-CAP", terms={"deductible": "0", "ratio": "0.9", "cap_remaining": "5000.00"})
    response = his.post(INBOUND, capped, format="json")
    assert response.status_code == 201, response.content.decode()
    assert (response.json()["pooled_paid"], response.json()["critical_paid"]) == ("5000.00", "0.00")
    assert any("年度支付限额剩余 5,000.00 元" in step for step in response.json()["steps"])
    # 100.10 x 85% = 85.085: half-up to the fen is 85.09 (half-even would give 85.08).
    odd = inbound_body(
        "IN-ODD", benefit_type="outpatient", discharge_date=None, total_cost="100.10", eligible_cost="100.10",
        terms={"deductible": "0.00", "ratio": "0.85", "cap_remaining": "3000.00"},
    )  # fmt: skip
    response = his.post(INBOUND, odd, format="json")
    assert response.status_code == 201, response.content.decode()
    assert (response.json()["pooled_paid"], response.json()["out_of_pocket"]) == ("85.09", "15.01")


def test_inbound_refusals(his, hospital_yz):
    too_much = inbound_body(terms={"deductible": "1000.00", "ratio": "0.85", "cap_remaining": "100000.00",
                                   "critical_paid": "2350.01"})  # fmt: skip
    _refused(his.post(INBOUND, too_much, format="json"), "terms", "超过")
    _refused(
        his.post(INBOUND, inbound_body(insured_area_code="500103"), format="json"), "insured_area_code", "本统筹区"
    )
    _refused(his.post(INBOUND, inbound_body(id_number="510104198001011234"), format="json"), "id_number")
    bad_ratio = inbound_body(terms={"deductible": "0", "ratio": "1.5", "cap_remaining": "1"})
    assert his.post(INBOUND, bad_ratio, format="json").status_code == 400
    _refused(his.post(INBOUND, inbound_body(scheme="other"), format="json"), "scheme")
    _refused(his.post(INBOUND, inbound_body(eligible_cost="13000.00"), format="json"), "eligible_cost")
    _refused(his.post(INBOUND, inbound_body(benefit_type="pharmacy"), format="json"), "benefit_type")
    assert not InboundSettlement.objects.exists() and not JournalEntry.objects.filter(source="remote_inbound").exists()


def test_inbound_retry_and_conflict(his, hospital_yz):
    first = his.post(INBOUND, inbound_body(), format="json")
    again = his.post(INBOUND, inbound_body(), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    conflict = his.post(INBOUND, inbound_body(total_cost="12000.01"), format="json")
    assert conflict.status_code == 409, conflict.content.decode()
    other_terms = inbound_body(terms={"deductible": "900.00", "ratio": "0.85", "cap_remaining": "100000.00"})
    assert his.post(INBOUND, other_terms, format="json").status_code == 409
    assert InboundSettlement.objects.count() == 1
    assert JournalEntry.objects.filter(source="remote_inbound").count() == 1


def test_institution_cannot_settle_as_another(his, hospital_yz, hospital_jb):
    hospital, his_jb = hospital_jb
    named = his.post(INBOUND, inbound_body(institution_code=hospital.code), format="json")
    assert named.status_code == 403, named.content.decode()
    assert not InboundSettlement.objects.exists()
    own = his.post(INBOUND, inbound_body(institution_code=hospital_yz.code), format="json")
    assert own.status_code == 201
    pk = own.json()["id"]
    # The other hospital neither sees nor reverses it; its list has nothing of it; the number is taken.
    assert his_jb.get(f"{INBOUND}{pk}/").status_code == 404
    assert his_jb.post(f"{INBOUND}{pk}/reversal/", {"reason": "x"}, format="json").status_code == 404
    assert his_jb.get(INBOUND).json()["results"] == []
    assert his_jb.post(INBOUND, inbound_body(), format="json").status_code == 409
    assert [r["id"] for r in his.get(INBOUND).json()["results"]] == [pk]


def test_inbound_reversal_by_the_institution(his, hospital_yz, reviewer_yuzhong):
    pk = his.post(INBOUND, inbound_body(), format="json").json()["id"]
    url = f"{INBOUND}{pk}/reversal/"
    _refused(his.post(url, {"reason": "  "}, format="json"), "reason")
    assert staff_client(reviewer_yuzhong).post(url, {"reason": "审核撤销"}, format="json").status_code == 403

    response = his.post(url, {"reason": "患者取消结算"}, format="json")
    assert response.status_code == 200, response.content.decode()
    row = InboundSettlement.objects.get(pk=pk)
    assert (row.status, row.reversal_reason) == ("reversed", "患者取消结算") and row.reversed_at is not None
    again = his.post(url, {"reason": "再次冲正"}, format="json")
    assert again.status_code == 200 and again.json()["reversal_reason"] == "患者取消结算"
    assert JournalEntry.objects.filter(source="remote_inbound_rev", source_id=pk).count() == 1
    events = AuditEvent.objects.filter(object_type="benefits.inboundsettlement", object_id=str(pk))
    assert sorted(events.values_list("action", flat=True)) == ["create", "status"]
    if RULES["remote_inbound"].rows.__module__ == "benefits.postings":
        receivable = JournalLine.objects.filter(account__code="remote_receivable")
        assert receivable.aggregate(total=Sum("amount"))["total"] == D("0.00")


def test_district_scoping(his, hospital_yz, clerk_yuzhong, clerk_jiangbei):
    """The institution's district sees its inbound settlements; Jiangbei sees nothing of Yuzhong's."""
    pk = his.post(INBOUND, inbound_body(), format="json").json()["id"]
    jiangbei, yuzhong = staff_client(clerk_jiangbei), staff_client(clerk_yuzhong)

    assert jiangbei.get(INBOUND).json()["results"] == []
    assert jiangbei.get(f"{INBOUND}{pk}/").status_code == 404
    assert [r["id"] for r in yuzhong.get(INBOUND).json()["results"]] == [pk]
    assert yuzhong.get(f"{INBOUND}{pk}/").json()["pooled_paid"] == "7650.00"
    # Pages, as staff use them.
    assert jiangbei.get(f"/benefits/remote-inbound/{pk}/").status_code == 404
    assert "IN-0001" not in jiangbei.get("/benefits/remote-inbound/").content.decode()
    assert "IN-0001" in yuzhong.get("/benefits/remote-inbound/").content.decode()
    assert yuzhong.post(INBOUND, inbound_body("IN-2"), format="json").status_code == 403
    _refused(yuzhong.get(INBOUND, {"status": "paid"}), "status")
    _refused(yuzhong.get(INBOUND, {"month": "2023-13"}), "month")


def test_inbound_pages_search_filter_and_keyset(his, hospital_yz, reviewer_yuzhong):
    ids = []
    for n in range(3):
        body = inbound_body(f"IN-{n}", name=f"王{'一二三'[n]}", id_number=make_id_number(area="440305", seq=20 + n),
                            insured_area_code="440300" if n < 2 else CHENGDU)  # fmt: skip
        ids.append(his.post(INBOUND, body, format="json").json()["id"])
    client = staff_client(reviewer_yuzhong)
    row = InboundSettlement.objects.get(pk=ids[1])

    def listed(**params) -> set[str]:
        html = client.get("/benefits/remote-inbound/", params).content.decode()
        return set(re.findall(r"<code>(IN-\d)</code>", html))

    assert listed() == {"IN-0", "IN-1", "IN-2"}
    assert listed(q="IN-1") == {"IN-1"}
    assert listed(q=row.id_number) == {"IN-1"}
    assert listed(q="王三") == {"IN-2"}
    assert listed(insured_area_code="440000") == {"IN-0", "IN-1"}
    assert listed(insured_area_code="510000") == {"IN-2"}
    assert listed(month=f"{row.settled_at:%Y-%m}") == {"IN-0", "IN-1", "IN-2"}
    assert listed(month="2001-01") == set()
    bad = client.get("/benefits/remote-inbound/", {"month": "2023-13"})
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/benefits/remote-inbound/")
    assert response.status_code == 200
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

    detail = client.get(f"/benefits/remote-inbound/{ids[2]}/").content.decode()
    for text in ("IN-2", "四川省（510100）", "1,000.00", "85%", "100,000.00", "7,650.00", "7,950.00", "4,050.00"):
        assert text in detail, text
    assert row.id_number not in detail


# --- The platform's account ---------------------------------------------------------------------------


def test_remote_platform_account_command(districts):
    out = io.StringIO()
    call_command(
        "system_api_account",
        "--role",
        "remote_platform",
        "--username",
        "nhsa_platform",
        stdout=out,
        stderr=io.StringIO(),
    )
    username, key = out.getvalue().split()
    user = User.objects.get(username=username)
    assert (user.role, user.district_id, user.institution_id) == (Role.REMOTE_PLATFORM, None, None)
    assert len(key) > 20

    out = io.StringIO()
    call_command(
        "system_api_account",
        "--role",
        "remote_platform",
        "--username",
        "nhsa_platform",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "already has a working token" in out.getvalue()

    out = io.StringIO()
    call_command(
        "system_api_account",
        "--role",
        "remote_platform",
        "--username",
        "nhsa_platform",
        "--rotate",
        stdout=out,
        stderr=io.StringIO(),
    )
    new_key = out.getvalue().split()[1]
    assert new_key != key
    assert [t.is_active() for t in api_token_list(user=user)].count(True) == 1


def test_a_self_service_channel_gets_its_own_city_wide_account_and_roles_do_not_mix(districts):
    out = io.StringIO()
    call_command("system_api_account", "--role", "self_service", "--username", "gov_app", stdout=out)
    username, key = out.getvalue().split()
    user = User.objects.get(username=username)
    assert (user.role, user.district_id, user.first_name) == (Role.SELF_SERVICE, None, "自助服务渠道")
    with pytest.raises(CommandError, match="is not a remote_platform account"):
        call_command("system_api_account", "--role", "remote_platform", "--username", "gov_app")
    assert User.objects.filter(username="gov_app", role=Role.SELF_SERVICE).count() == 1
