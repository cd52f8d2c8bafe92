"""异地就医 零星报销: care outside the city not settled directly, reimbursed by the insuring district's clerk.

Issue 16, point 6: "Out-of-area 零星报销 for care not settled directly: the filing status decides the ratio;
the printed statement says which rule applied." The principle is 000's "完善医保异地就医直接结算制度" with
"就医地目录、参保地政策、就医地管理": our policy, reduced by the filing's rule. The reductions are the policy
file's labelled defaults (benefits/reference/policy_2023.json, remote_care):
  other_temporary 0.1000 "可配置默认值：种子文件只要求“简化异地就医备案要件”（004），未规定有效期与降低比例"
  unfiled         0.2000 "可配置默认值：种子文件未规定未备案异地就医的支付比例降低幅度"
  long-term types 0.0000 "长期备案享受参保地同等待遇（“参保地政策”）"

The claim every test uses, by hand: a tier-1 resident adult's level-2 inpatient stay in March 2023, total
12,000.00, eligible 10,000.00. Deductible 500.00 (level-2 inpatient, 2023), so 9,500.00 is paid at the ratio:
70% in the city (and under a long-term filing) -> 6,650.00; 60% under a temporary filing -> 5,700.00;
50% unfiled -> 4,750.00. Each step of 10 points is 950.00 (= 9,500.00 x 10%).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from benefits.models import Institution, RemoteCareFiling, RemoteCareRule, Settlement
from benefits.remote_selectors import remote_terms_for
from benefits.services import SettlementRequest, institution_elsewhere, settlement_create
from core.models import AuditEvent
from core.roles import Role
from tests.benefits_support import counts, resident, staff_client

pytestmark = pytest.mark.django_db
D = Decimal
MANUAL = "/api/v1/settlements/manual/"
SICHUAN = "510000"
CHENGDU = "510100"
HX_CODE = "H51010700012"  # a level-2 hospital in Chengdu, by its national code


def filing(person, filing_type: str, *, destination=SICHUAN, valid_from=dt.date(2023, 1, 1), valid_to=None):
    """A filing as the filing service (another engineer's) would store it."""
    rule = RemoteCareRule.objects.filter(year=2023, filing_type=filing_type).order_by("-version").first()
    enrollment = person.enrollments.get(status="active")
    return RemoteCareFiling.objects.create(
        person=person, district_id=person.district_id, scheme=enrollment.scheme, filing_type=filing_type,
        destination_code=destination, valid_from=valid_from, valid_to=valid_to, rule=rule,
        documents_checked=["有效身份证件或医保电子凭证"],
    )  # fmt: skip


def body(person, number="FP-CD-001", **overrides) -> dict:
    values = {
        "settlement_number": number,
        "id_number": person.id_number,
        "benefit_type": "inpatient",
        "service_date": "2023-03-01",
        "discharge_date": "2023-03-10",
        "total_cost": "12000.00",
        "eligible_cost": "10000.00",
        "institution_code": HX_CODE,
        "care_area_code": CHENGDU,
        "institution_name": "成都市第七人民医院",
        "institution_level": 2,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def form(**overrides) -> dict:
    """The 零星报销 page's POST for the same claim (opened from the person page: no ID field)."""
    values = {
        "institution_code": HX_CODE,
        "settlement_number": "FP-CD-001",
        "benefit_type": "inpatient",
        "service_date": "2023-03-01",
        "discharge_date": "2023-03-10",
        "total_cost": "12000.00",
        "eligible_cost": "10000.00",
        "chronic_disease_code": "",
        "diagnosis_code": "",
        "care_province": SICHUAN,
        "care_city_code": CHENGDU,
        "institution_name": "成都市第七人民医院",
        "institution_level": "2",
    }
    values.update(overrides)
    return values


def written() -> dict[str, int]:
    return {**counts(), "institutions": Institution.objects.count(), "filings": RemoteCareFiling.objects.count()}


def manual_url(person=None) -> str:
    url = reverse("benefits:settlement_manual")
    return f"{url}?person={person.pk}" if person is not None else url


# --- the ratio follows the filing ---------------------------------------------------------------------------------


def test_the_same_claim_under_a_long_term_a_temporary_and_no_filing(policy_2023, clerk_yuzhong):
    long_term, temporary, unfiled = resident(), resident(), resident()
    lt = filing(long_term, "retired_elsewhere")
    tmp = filing(temporary, "other_temporary", valid_to=dt.date(2023, 6, 30))
    filing(unfiled, "retired_elsewhere", destination="440000")  # Guangdong does not cover Chengdu
    client = staff_client(clerk_yuzhong)

    results = {}
    for name, person in (("long_term", long_term), ("temporary", temporary), ("unfiled", unfiled)):
        response = client.post(MANUAL, body(person, number=f"FP-{name}"), format="json")
        assert response.status_code == 201, response.content
        results[name] = response.json()

    paid = {name: D(r["pooled_paid"]) for name, r in results.items()}
    assert paid == {"long_term": D("6650.00"), "temporary": D("5700.00"), "unfiled": D("4750.00")}
    # Exactly the reduced ratio apart: 10 points of the 9,500.00 above the deductible each step.
    assert paid["long_term"] - paid["temporary"] == paid["temporary"] - paid["unfiled"] == D("950.00")
    assert {name: D(r["out_of_pocket"]) for name, r in results.items()} == {
        "long_term": D("5350.00"), "temporary": D("6300.00"), "unfiled": D("7250.00"),
    }  # fmt: skip
    assert {name: (r["remote_rule"], D(r["ratio_reduction"]), r["filing_id"]) for name, r in results.items()} == {
        "long_term": ("long_term", D("0"), lt.pk),
        "temporary": ("temporary", D("0.1"), tmp.pk),
        "unfiled": ("unfiled", D("0.2"), None),
    }
    assert {r["care_area_code"] for r in results.values()} == {CHENGDU}
    assert {r["kind"] for r in results.values()} == {"manual"}
    assert {r["account_paid"] for r in results.values()} == {"0.00"}
    # The first step says which rule applied, with the points and their source.
    assert results["unfiled"]["steps"][0] == (
        "异地就医（四川省（510100））：未备案，执行参保地待遇政策，统筹基金支付比例降低 20 个百分点"
        "（可配置默认值：种子文件未规定未备案异地就医的支付比例降低幅度）"
    )
    assert (
        f"备案号 {tmp.pk}" in results["temporary"]["steps"][0]
        and "降低 10 个百分点" in results["temporary"]["steps"][0]
    )
    assert "统筹基金支付比例不降低" in results["long_term"]["steps"][0]
    # One record of the institution elsewhere, reused; never one of ours and never under our agreement.
    hospital = Institution.objects.get(code=HX_CODE)
    assert (hospital.area_code, hospital.district_id, hospital.level) == (CHENGDU, None, 2)
    assert set(Settlement.objects.values_list("institution_id", flat=True)) == {hospital.pk}


def test_a_revoked_filing_still_covers_care_before_its_revocation_and_not_after(policy_2023, clerk_yuzhong):
    """Care while the filing stood, reimbursed after it was revoked, keeps its rule; care after does not."""
    person = resident()
    lt = filing(person, "retired_elsewhere")
    RemoteCareFiling.objects.filter(pk=lt.pk).update(
        status=RemoteCareFiling.Status.REVOKED,
        revoked_at=timezone.make_aware(dt.datetime(2023, 3, 20, 10, 0)),
        revoke_reason="返回本市居住",
    )
    client = staff_client(clerk_yuzhong)
    before = client.post(MANUAL, body(person, number="FP-BEFORE"), format="json")  # care 2023-03-01..10
    assert before.status_code == 201, before.content
    assert (before.json()["remote_rule"], before.json()["filing_id"], before.json()["pooled_paid"]) == (
        "long_term", lt.pk, "6650.00",
    )  # fmt: skip
    after = client.post(
        MANUAL,
        body(person, number="FP-AFTER", service_date="2023-04-03", discharge_date="2023-04-12"),
        format="json",
    )
    assert after.status_code == 201, after.content
    assert (after.json()["remote_rule"], after.json()["filing_id"]) == ("unfiled", None)


def test_a_temporary_filing_counts_only_on_its_days(policy_2023, clerk_yuzhong):
    """The filing covering the day of care decides; one that ended the day before does not."""
    person = resident()
    filing(person, "other_temporary", valid_from=dt.date(2023, 1, 1), valid_to=dt.date(2023, 2, 28))
    response = staff_client(clerk_yuzhong).post(MANUAL, body(person), format="json")
    assert response.status_code == 201
    assert (response.json()["remote_rule"], response.json()["pooled_paid"]) == ("unfiled", "4750.00")


def test_without_the_part_it_is_the_in_city_reimbursement_unchanged(policy_2023, hospital_yz, clerk_yuzhong):
    person = resident()
    filing(person, "other_temporary")  # a filing does not matter for care in the city
    response = staff_client(clerk_yuzhong).post(
        MANUAL, body(person, institution_code=hospital_yz.code, care_area_code=None, institution_name=None,
                     institution_level=None), format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["pooled_paid"], out["care_area_code"], out["remote_rule"], out["filing_id"]) == (
        "6650.00",
        "",
        "",
        None,
    )
    assert D(out["ratio_reduction"]) == 0


# --- the page, the statement and its print ------------------------------------------------------------------------


def test_clerk_reimburses_through_the_page_and_the_statement_says_which_rule(
    policy_2023, clerk_yuzhong, client_for, settings
):
    settings.YIBAO_BUREAU = {"name": "测试市医疗保障局", "address": "测试市解放路1号", "hotline": "023-12393"}
    person = resident()
    client = client_for(clerk_yuzhong)
    page = client.get(manual_url(person))
    assert page.status_code == 200
    html = page.content.decode()
    assert "市外就医（异地就医未直接结算）" in html and 'name="care_province"' in html
    assert '<option value="510000">四川省</option>' in html and 'value="500000"' not in html  # home is no choice

    response = client.post(manual_url(person), form())
    settlement = Settlement.objects.get()
    assert response.status_code == 302 and response.url == reverse("benefits:settlement_detail", args=[settlement.pk])
    assert (settlement.kind, settlement.care_area_code, settlement.remote_rule) == ("manual", CHENGDU, "unfiled")
    assert (settlement.pooled_paid, settlement.ratio_reduction, settlement.filing) == (D("4750.00"), D("0.2"), None)
    assert settlement.created_by == clerk_yuzhong

    event = AuditEvent.objects.get(object_type="benefits.settlement", action="create")
    assert event.actor == clerk_yuzhong and event.object_id == str(settlement.pk)
    assert (event.new_values["care_area_code"], event.new_values["remote_rule"]) == (CHENGDU, "unfiled")

    statement = client.get(response.url).content.decode()
    assert 'data-testid="care-area">四川省（510100）</dd>' in statement
    assert 'data-testid="remote-rule">未备案</dd>' in statement
    assert 'data-testid="ratio-reduction">20 个百分点</dd>' in statement
    # The source of the points, printed as the first step.
    assert "降低 20 个百分点（可配置默认值：种子文件未规定未备案异地就医的支付比例降低幅度）</li>" in statement
    assert 'data-testid="pooled_ratio">50%</td>' in statement  # 70% less 20 points
    assert "就医机构（市外）" in statement and "成都市第七人民医院" in statement and HX_CODE in statement
    assert 'data-testid="pooled_paid">4,750.00 元</td>' in statement
    assert "测试市医疗保障局" in statement and "css/statement.css" in statement  # the printable A4 statement


def test_the_statement_names_the_filing_and_its_type(policy_2023, clerk_yuzhong, client_for):
    person = resident()
    tmp = filing(person, "other_temporary", valid_to=dt.date(2023, 6, 30))
    client = client_for(clerk_yuzhong)
    client.post(manual_url(person), form())
    settlement = Settlement.objects.get()
    statement = client.get(reverse("benefits:settlement_detail", args=[settlement.pk])).content.decode()
    assert f'data-testid="remote-rule">临时外出备案（其他临时外出，备案号 {tmp.pk}）</dd>' in statement
    assert 'data-testid="ratio-reduction">10 个百分点</dd>' in statement
    assert 'data-testid="pooled_ratio">60%</td>' in statement
    assert 'data-testid="pooled_paid">5,700.00 元</td>' in statement


def test_in_city_statement_has_no_remote_part(policy_2023, hospital_yz, clerk_yuzhong, client_for):
    person = resident()
    client = client_for(clerk_yuzhong)
    values = form(institution_code=hospital_yz.code, care_province="", care_city_code="", institution_name="",
                  institution_level="")  # fmt: skip
    response = client.post(manual_url(person), values)
    assert response.status_code == 302
    settlement = Settlement.objects.get()
    assert (settlement.care_area_code, settlement.pooled_paid) == ("", D("6650.00"))
    statement = client.get(response.url).content.decode()
    assert 'data-testid="remote"' not in statement and 'data-testid="pooled_ratio">70%</td>' in statement


def test_a_direct_settlement_elsewhere_shows_the_same_on_its_detail_page(
    policy_2023, clerk_yuzhong, make_user, client_for
):
    """Kind direct, from the cross-region platform's account: the detail page says where and which rule."""
    platform = make_user("platform", Role.REMOTE_PLATFORM)
    person = resident()
    lt = filing(person, "living_elsewhere")
    hospital = institution_elsewhere(code=HX_CODE, name="成都市第七人民医院", level=2, area_code=CHENGDU,
                                     on=dt.date(2023, 3, 1))  # fmt: skip
    settlement, created = settlement_create(
        actor=platform,
        institution=hospital,
        request=SettlementRequest(
            settlement_number="KS-0001",
            id_number=person.id_number,
            benefit_type="inpatient",
            service_date=dt.date(2023, 3, 1),
            discharge_date=dt.date(2023, 3, 10),
            total_cost=D("12000.00"),
            eligible_cost=D("10000.00"),
        ),  # fmt: skip
        remote=lambda who: remote_terms_for(
            person_id=who.pk, on=dt.date(2023, 3, 1), care_area_code=CHENGDU, platform_number="PLAT-20230310-1"
        ),
    )
    assert created and settlement.kind == "direct" and settlement.pooled_paid == D("6650.00")
    statement = client_for(clerk_yuzhong).get(reverse("benefits:settlement_detail", args=[settlement.pk]))
    html = statement.content.decode()
    assert f'data-testid="remote-rule">长期异地备案（异地长期居住，备案号 {lt.pk}）</dd>' in html
    assert 'data-testid="ratio-reduction">0 个百分点</dd>' in html and "PLAT-20230310-1" in html
    assert "统筹基金支付比例不降低" in html and 'data-testid="pooled_ratio">70%</td>' in html


# --- who may, and refused input ------------------------------------------------------------------------------------


def test_another_districts_clerk_cannot_reimburse_for_a_yuzhong_person(
    policy_2023, clerk_yuzhong, clerk_jiangbei, client_for
):
    person = resident()  # insured in 渝中区 (500103)
    jiangbei, jiangbei_api = client_for(clerk_jiangbei), staff_client(clerk_jiangbei)  # logging in is audited
    before = written()
    assert jiangbei.get(manual_url(person)).status_code == 404
    assert jiangbei.post(manual_url(person), form()).status_code == 404
    # Typing the ID number instead: refused next to it; the institution elsewhere is not recorded either.
    page = jiangbei.post(manual_url(), {**form(), "id_number": person.id_number})
    assert page.status_code == 200 and "只能在本人所属区县办理该业务" in page.content.decode()
    api = jiangbei_api.post(MANUAL, body(person), format="json")
    assert api.status_code == 400 and "本人所属区县" in str(api.json())
    assert written() == before
    # The Yuzhong clerk's statement is out of the Jiangbei clerk's sight.
    staff_client(clerk_yuzhong).post(MANUAL, body(person), format="json")
    settlement = Settlement.objects.get()
    assert jiangbei.get(reverse("benefits:settlement_detail", args=[settlement.pk])).status_code == 404
    assert jiangbei_api.get(f"/api/v1/settlements/{settlement.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"care_area_code": "990000"}, "care_area_code", "不是有效的省级行政区划代码开头"),
        ({"care_area_code": "5101"}, "care_area_code", "地区编码应为6位行政区划代码"),
        ({"care_area_code": "500103"}, "care_area_code", "属于本市，市内就医请按市内零星报销办理"),
        ({"institution_code": "H50010300001"}, "institution_code", "是本市定点机构，市内就医不属于异地就医"),
        ({"institution_code": "H44030400001"}, "institution_code", "就医机构编码第2-3位（省级代码）应与就医地"),
        ({"institution_code": "X12"}, "institution_code", "国家医保定点机构代码"),
        ({"institution_level": None}, "institution_level", "医院等级应为 1、2 或 3"),
        ({"institution_name": ""}, "institution_name", "请填写就医机构名称"),
        ({"care_area_code": "", "institution_code": "H50010300001"}, "care_area_code", "市外就医请填写就医地区划代码"),
    ],
)
def test_bad_input_on_the_api_is_refused_by_field_and_writes_nothing(
    policy_2023, hospital_yz, clerk_yuzhong, overrides, field, message
):
    person = resident()
    client = staff_client(clerk_yuzhong)
    before = written()
    response = client.post(MANUAL, body(person, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert message in "".join(response.json()[field])
    assert written() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"care_province": "990000"}, "care_province", "选择一个有效的选项"),
        ({"care_province": "500000"}, "care_province", "选择一个有效的选项"),  # the home city is not offered
        ({"care_city_code": "500103"}, "care_city_code", "属于本市，市内就医请按市内零星报销办理"),
        ({"care_city_code": "440300"}, "care_city_code", "不属于所选的 四川省"),
        ({"care_province": "", "care_city_code": ""}, "care_province", "市外就医请选择就医地"),
        ({"institution_level": ""}, "institution_level", "医院等级应为 1、2 或 3"),
        ({"institution_code": "H50010300001"}, "institution_code", "是本市定点机构，市内就医不属于异地就医"),
        ({"institution_code": "H44030400001"}, "institution_code", "就医机构编码第2-3位（省级代码）应与就医地"),
        ({"eligible_cost": "13000.00"}, "eligible_cost", "政策范围内费用不能大于医疗总费用"),
    ],
)
def test_bad_input_on_the_page_is_shown_on_its_field_and_writes_nothing(
    policy_2023, hospital_yz, clerk_yuzhong, client_for, overrides, field, message
):
    person = resident()
    client = client_for(clerk_yuzhong)
    before = written()
    page = client.post(manual_url(person), form(**overrides))
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert field in errors and message in "".join(errors[field]), errors
    assert f'id="id_{field}_error"' in page.content.decode()
    assert written() == before


def test_one_of_our_institutions_is_no_institution_elsewhere(policy_2023, clerk_yuzhong, districts):
    """Care at a hospital of ours is not 异地就医 (its code would also fall in the home area)."""
    person = resident()
    ours = Institution.objects.create(
        code="H51010700099", name="误登记的本市机构", kind="hospital", level=2, district=districts["500103"],
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip
    client = staff_client(clerk_yuzhong)
    before = written()
    response = client.post(MANUAL, body(person, institution_code=ours.code), format="json")
    assert response.status_code == 400 and "是本市定点机构" in "".join(response.json()["institution_code"])
    assert written() == before


def test_a_replay_returns_the_first_reimbursement(policy_2023, clerk_yuzhong):
    person = resident()
    client = staff_client(clerk_yuzhong)
    first = client.post(MANUAL, body(person), format="json")
    again = client.post(MANUAL, body(person), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Settlement.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="benefits.settlement", action="create").count() == 1
