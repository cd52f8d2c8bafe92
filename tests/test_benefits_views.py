"""Benefits staff pages: 零星报销, the printable statement, reversal, institutions, the person's
benefits panel and personal account. District scope (404), roles (403), Chinese messages next to
the fields, nothing half-written."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from benefits.list_rows import settlement_rows_html
from benefits.models import (
    AnnualAccumulator,
    ChronicRegistration,
    FamilyBinding,
    Institution,
    Settlement,
)
from benefits.services import SettlementRequest, account_credits_post, settlement_create
from benefits.views import SETTLEMENT_ROW_FIELDS
from core.models import AuditEvent
from core.templatetags.money_format import amount, percent, yuan
from enrollment.models import Enrollment
from tests.benefits_support import resident
from tests.factories import EmployerFactory, PersonFactory

pytestmark = pytest.mark.django_db
D = Decimal


paid_resident = resident  # a resident who paid for the year (tests/benefits_support.py)


def manual_form(person, hospital, **overrides):
    values = {
        "id_number": person.id_number,
        "institution_code": hospital.code,
        "settlement_number": "FP-2023-0001",
        "benefit_type": "inpatient",
        "service_date": "2023-03-01",
        "discharge_date": "2023-03-10",
        "total_cost": "12000.00",
        "eligible_cost": "10000.00",
        "chronic_disease_code": "",
    }
    values.update(overrides)
    return values


def field_errors(page: str, field: str) -> list[str]:
    """The error messages shown next to one form field (the span its aria-describedby names)."""
    if f'name="{field}"' not in page:
        raise AssertionError(f"no field {field} on the page")
    found = re.search(rf'<span class="error" id="id_{field}_error">(.*?)</span></span>', page, flags=re.S)
    return re.findall(r'<span class="msg">(.*?)</span>', found.group(0)) if found else []


@pytest.fixture
def settled(policy_2023, hospital_yz, institution_user):
    """A Yuzhong resident's inpatient stay, settled directly by the hospital."""
    person = paid_resident()
    request = SettlementRequest(
        settlement_number="ZY-001", id_number=person.id_number, benefit_type="inpatient",
        service_date=dt.date(2023, 3, 1), discharge_date=dt.date(2023, 3, 10),
        total_cost=D("12000.00"), eligible_cost=D("10000.00"),
    )  # fmt: skip
    return settlement_create(actor=institution_user, institution=hospital_yz, request=request)[0]


@pytest.fixture
def employee_with_account(districts, policy_2023):
    """An active employee of Yuzhong, credited January to March 2023 (2 % of 8,000 = 160 a month)."""
    person = PersonFactory()
    Enrollment.objects.create(
        person=person, scheme="employee", category="active", district=person.district,
        employer=EmployerFactory(), contribution_base=D("8000.00"), start_date=dt.date(2020, 1, 1),
    )  # fmt: skip
    for month in (1, 2, 3):
        account_credits_post(actor=None, year=2023, month=month, district_id=person.district_id)
    return person


# 1. 零星报销


def test_manual_reimbursement_settles_by_the_rules_and_is_audited(client_for, clerk_yuzhong, policy_2023, hospital_yz):
    person = paid_resident()
    response = client_for(clerk_yuzhong).post(reverse("benefits:settlement_manual"), manual_form(person, hospital_yz))

    settlement = Settlement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("benefits:settlement_detail", args=[settlement.pk])
    # level-2 resident inpatient: deductible 500 per admission, 70 %; no personal account for 零星报销
    assert (settlement.kind, settlement.person, settlement.institution) == ("manual", person, hospital_yz)
    assert (settlement.pooled_paid, settlement.critical_paid, settlement.account_paid) == (
        D("6650.00"), D("0.00"), D("0.00"),
    )  # fmt: skip
    assert settlement.out_of_pocket == D("5350.00")
    assert settlement.created_by == clerk_yuzhong
    acc = AnnualAccumulator.objects.get(person=person, year=2023)
    assert (acc.pooled_inpatient, acc.settlement_count) == (D("6650.00"), 1)
    event = AuditEvent.objects.get(object_type="benefits.settlement", object_id=str(settlement.pk))
    assert (event.action, event.actor) == ("create", clerk_yuzhong)


def test_manual_reimbursement_sent_twice_pays_once(client_for, clerk_yuzhong, policy_2023, hospital_yz):
    person = paid_resident()
    client = client_for(clerk_yuzhong)
    first = client.post(reverse("benefits:settlement_manual"), manual_form(person, hospital_yz))
    again = client.post(reverse("benefits:settlement_manual"), manual_form(person, hospital_yz), follow=True)
    assert first.status_code == 302
    assert "该发票号已办理零星报销" in again.content.decode()
    assert Settlement.objects.count() == 1
    assert AnnualAccumulator.objects.get(person=person).settlement_count == 1


@pytest.mark.parametrize(
    ("overrides", "unpaid", "field", "message"),
    [
        ({"eligible_cost": "13000.00"}, False, "eligible_cost", "政策范围内费用不能大于医疗总费用"),
        ({"institution_code": "H50010399999"}, False, "institution_code", "机构编码不存在"),
        ({}, True, "service_date", "2023年度居民医保未缴费，不享受待遇"),
        ({"discharge_date": ""}, False, "discharge_date", "住院结算需填写出院日期"),
        ({"benefit_type": "pharmacy"}, False, "benefit_type", "药店只能结算药店购药，医院不能结算药店购药"),
        # A mistyped year was accepted and answered with "不在协议期内" (issue 11, finding 14).
        (
            {"service_date": "0006-03-01"},
            False,
            "service_date",
            "日期年份应在1900至2100之间，请按“年-月-日”填写，例如 2023-03-01。",
        ),
    ],
)
def test_manual_reimbursement_refused_next_to_the_field_and_writes_nothing(
    client_for, clerk_yuzhong, policy_2023, hospital_yz, overrides, unpaid, field, message
):
    person = paid_resident(year=2022) if unpaid else paid_resident()
    response = client_for(clerk_yuzhong).post(
        reverse("benefits:settlement_manual"), manual_form(person, hospital_yz, **overrides)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert field_errors(page, field) == [message]
    assert not Settlement.objects.exists()
    assert not AnnualAccumulator.objects.exists()
    assert not AuditEvent.objects.filter(object_type="benefits.settlement").exists()


def test_manual_reimbursement_for_another_districts_patient_is_refused(
    client_for, clerk_jiangbei, policy_2023, hospital_yz
):
    person = paid_resident()  # insured in Yuzhong, treated in a Yuzhong hospital
    page = client_for(clerk_jiangbei).post(reverse("benefits:settlement_manual"), manual_form(person, hospital_yz))
    assert field_errors(page.content.decode(), "id_number") == ["只能在本人所属区县办理该业务"]
    assert not Settlement.objects.exists() and not AnnualAccumulator.objects.exists()


def test_read_only_roles_cannot_open_the_manual_form(client_for, auditor):
    assert client_for(auditor).get(reverse("benefits:settlement_manual")).status_code == 403


# 2. The statement and reversal


def test_statement_shows_the_amounts_and_the_masked_id_only(client_for, clerk_yuzhong, settled):
    response = client_for(clerk_yuzhong).get(reverse("benefits:settlement_detail", args=[settled.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert settled.person.masked_id_number in page
    assert settled.person.id_number not in page
    for label, value in [
        ("基本医保统筹基金支付", "6,650.00 元"),
        ("大病保险支付", "0.00 元"),
        ("个人自付", "5,350.00 元"),
    ]:
        assert re.search(rf"<th>{label}</th><td[^>]*>{value}</td>", page), label
    assert settled.steps[0] in page
    assert "data-print" in page  # the print button (static/js/yibao.js opens the dialog; no inline script)
    assert "冲正原因" not in page  # a clerk may not reverse: no form


def test_clerk_may_not_reverse(client_for, clerk_yuzhong, settled):
    response = client_for(clerk_yuzhong).post(
        reverse("benefits:settlement_reverse", args=[settled.pk]), {"reason": "重复结算"}
    )
    assert response.status_code == 403
    settled.refresh_from_db()
    assert settled.status == "settled"


def test_reviewer_reverses_and_the_year_is_given_back(client_for, reviewer_yuzhong, settled):
    client = client_for(reviewer_yuzhong)
    url = reverse("benefits:settlement_reverse", args=[settled.pk])
    statement = client.get(reverse("benefits:settlement_detail", args=[settled.pk])).content.decode()
    assert f'action="{url}"' in statement

    missing = client.post(url, {"reason": "  "})
    assert missing.status_code == 200 and field_errors(missing.content.decode(), "reason")
    settled.refresh_from_db()
    assert settled.status == "settled"

    confirm = client.post(url, {"reason": "医院重复上传"})  # first the confirmation: nothing changes yet
    assert confirm.status_code == 200 and "确认冲正" in confirm.content.decode()
    settled.refresh_from_db()
    assert settled.status == "settled"
    response = client.post(url, {"reason": "医院重复上传", "confirmed": "1"})
    assert response.status_code == 302
    settled.refresh_from_db()
    assert (settled.status, settled.reversal_reason, settled.reversed_by) == (
        "reversed",
        "医院重复上传",
        reviewer_yuzhong,
    )
    acc = AnnualAccumulator.objects.get(person=settled.person, year=2023)
    assert (acc.pooled_inpatient, acc.settlement_count) == (D("0.00"), 0)
    assert AuditEvent.objects.filter(object_id=str(settled.pk), action="status", actor=reviewer_yuzhong).exists()
    page = client.get(reverse("benefits:settlement_detail", args=[settled.pk])).content.decode()
    assert "已冲正" in page and f'action="{url}"' not in page


# 3. District scope: another district sees nothing


def test_other_district_sees_nothing_of_yuzhong(
    client_for, clerk_jiangbei, reviewer_jiangbei, settled, hospital_yz, employee_with_account
):
    person = settled.person
    for user in (clerk_jiangbei, reviewer_jiangbei):
        client = client_for(user)
        for url in [
            reverse("benefits:settlement_detail", args=[settled.pk]),
            reverse("benefits:institution_detail", args=[hospital_yz.pk]),
            reverse("benefits:person_panel", args=[person.pk]),
            reverse("benefits:account_detail", args=[employee_with_account.pk]),
        ]:
            response = client.get(url)
            assert response.status_code == 404, url
            assert person.name not in response.content.decode()
        assert (
            client.post(reverse("benefits:settlement_reverse", args=[settled.pk]), {"reason": "x"}).status_code == 404
        )
        chronic = client.post(
            reverse("benefits:chronic_add", args=[person.pk]), {"disease": "MT001", "valid_from": "2023-01-01"}
        )
        assert chronic.status_code == 404
        family = client.post(
            reverse("benefits:family_add", args=[employee_with_account.pk]),
            {"member_id_number": person.id_number, "relation": "spouse"},
        )
        assert family.status_code == 404
        settlements = client.get(reverse("benefits:settlement_list")).content.decode()
        assert "ZY-001" not in settlements and "没有符合条件的结算记录" in settlements
        institutions = client.get(reverse("benefits:institution_list")).content.decode()
        assert hospital_yz.code not in institutions and "没有符合条件的定点医药机构" in institutions
    assert not ChronicRegistration.objects.exists() and not FamilyBinding.objects.exists()
    assert Settlement.objects.get().status == "settled"


def test_institution_system_account_sees_none_of_the_staff_pages(client_for, institution_user, settled):
    client = client_for(institution_user)
    for url in [
        reverse("benefits:settlement_list"),
        reverse("benefits:institution_list"),
        reverse("benefits:settlement_detail", args=[settled.pk]),
        reverse("benefits:person_panel", args=[settled.person_id]),
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert "ZY-001" not in page and settled.person.name not in page


def test_settlement_list_filters_and_fixed_query_count(
    client_for, clerk_yuzhong, policy_2023, hospital_yz, institution_user, django_assert_max_num_queries, settings
):
    for i in range(12):
        person = paid_resident()
        request = SettlementRequest(
            settlement_number=f"L-{i:03d}", id_number=person.id_number, benefit_type="inpatient",
            service_date=dt.date(2023, 4, 1), discharge_date=dt.date(2023, 4, 2),
            total_cost=D("1000.00"), eligible_cost=D("1000.00"),
        )  # fmt: skip
        settlement_create(actor=institution_user, institution=hospital_yz, request=request)
    client = client_for(clerk_yuzhong)
    url = reverse("benefits:settlement_list")
    client.get(url)  # warm the session
    # (2 of them set enable_sort off for the list's one statement and restore it: core.selectors)
    with django_assert_max_num_queries(9):
        page = client.get(url).content.decode()
    assert page.count("L-0") == 12 and "********" in page
    # The rows show what the statement shows: the labels of type, kind and status, and the fund's part
    # (pooled + critical illness + aid), from the few columns the list reads.
    row = re.search(r"<tr><td><a[^>]*><code>L-000</code>.*?</tr>", page, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    settled = Settlement.objects.get(settlement_number="L-000")
    assert cells[4:] == [
        "住院", "2023-04-01", "1000.00", str(settled.fund_paid), str(settled.out_of_pocket), "联网结算", "已结算",
    ]  # fmt: skip
    assert settled.fund_paid > 0
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    assert english.count("<td>Inpatient</td>") == 12 and english.count("<td>Settled</td>") == 12
    assert "住院" not in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert client.get(url, {"year": "2022"}).content.decode().count("L-0") == 0
    assert (
        client.get(url, {"institution": hospital_yz.code.lower(), "status": "settled"}).content.decode().count("L-0")
        == 12
    )


# 4. Institutions


def test_institution_register_and_suspend_are_audited(client_for, clerk_yuzhong, districts):
    client = client_for(clerk_yuzhong)
    form = client.get(reverse("benefits:institution_register")).content.decode()
    assert "500103 渝中区" in form and "500105" not in form  # a district clerk registers in their district only
    response = client.post(
        reverse("benefits:institution_register"),
        {"name": "渝中社区卫生服务中心", "kind": "hospital", "level": "1", "district": districts["500103"].pk,
         "agreement_start": "2023-01-01"},
    )  # fmt: skip
    institution = Institution.objects.get()
    assert response["Location"] == reverse("benefits:institution_detail", args=[institution.pk])
    assert (institution.code, institution.level) == ("H50010300001", 1)
    assert AuditEvent.objects.filter(object_type="benefits.institution", action="create", actor=clerk_yuzhong).exists()

    response = client.post(
        reverse("benefits:institution_detail", args=[institution.pk]),
        {"name": institution.name, "level": "1", "agreement_status": "suspended", "agreement_start": "2023-01-01"},
    )
    assert response.status_code == 302
    institution.refresh_from_db()
    assert institution.agreement_status == "suspended"
    event = AuditEvent.objects.get(object_type="benefits.institution", action="update")
    assert event.new_values == {"agreement_status": "suspended"}
    page = client.get(reverse("benefits:institution_list"), {"q": "渝中社区"}).content.decode()
    assert "H50010300001" in page and "暂停结算" in page


def test_institution_form_errors_show_next_to_fields(client_for, clerk_yuzhong, districts, hospital_yz):
    response = client_for(clerk_yuzhong).post(
        reverse("benefits:institution_register"),
        {"name": "某医院", "kind": "hospital", "level": "2", "district": districts["500103"].pk,
         "agreement_start": "2023-01-01", "code": "P50010300001"},
    )  # fmt: skip
    assert field_errors(response.content.decode(), "code") == ["机构编码首字母与机构类型不符：医院为H，药店为P"]
    assert Institution.objects.count() == 1


def test_suspended_institution_cannot_be_used_for_manual_reimbursement(
    client_for, clerk_yuzhong, policy_2023, hospital_yz
):
    client = client_for(clerk_yuzhong)
    client.post(
        reverse("benefits:institution_detail", args=[hospital_yz.pk]),
        {"name": hospital_yz.name, "level": "2", "agreement_status": "terminated", "agreement_start": "2020-01-01"},
    )
    page = client.post(reverse("benefits:settlement_manual"), manual_form(paid_resident(), hospital_yz))
    assert field_errors(page.content.decode(), "institution_code") == ["渝中区人民医院 协议状态为解除协议，不能结算"]
    assert not Settlement.objects.exists()


def test_auditor_reads_institutions_but_has_no_edit_form(client_for, auditor, hospital_yz):
    client = client_for(auditor)
    page = client.get(reverse("benefits:institution_detail", args=[hospital_yz.pk])).content.decode()
    assert hospital_yz.code in page and 'name="agreement_status"' not in page
    response = client.post(
        reverse("benefits:institution_detail", args=[hospital_yz.pk]),
        {"name": "x", "agreement_status": "terminated", "agreement_start": "2020-01-01"},
    )
    assert response.status_code == 403
    hospital_yz.refresh_from_db()
    assert hospital_yz.agreement_status == "active"


def test_navigation_has_the_benefits_pages(client_for, clerk_yuzhong):
    page = client_for(clerk_yuzhong).get(reverse("benefits:settlement_list")).content.decode()
    nav = page.split('class="mainnav"')[1].split("</nav>")[0]
    assert reverse("benefits:institution_list") in nav and "定点机构" in nav
    assert f'href="{reverse("benefits:settlement_list")}" aria-current="page">医保结算' in nav


def test_statement_and_navigation_in_english(client_for, clerk_yuzhong, settled, settings):
    client = client_for(clerk_yuzhong)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("benefits:settlement_detail", args=[settled.pk])).content.decode()
    for text in ["Settlement statement", "Paid by the basic pooled fund", "Out of pocket", "Institutions", "Print"]:
        assert text in page, text
    assert "医保结算单" not in page


# 4. The printed statement, the 冲正 confirmation, 零星报销 from the person page (issue 11)


def test_amount_and_ratio_filters_read_as_on_paper():

    assert yuan(D("12345.6")) == "12,345.60 元"
    assert yuan(D("0")) == "0.00 元"
    assert yuan(D("1234567.005")) == "1,234,567.01 元"  # half-up to the fen
    assert amount(D("-1500")) == "-1,500.00"
    assert yuan(None) == "—"
    assert percent(D("0.6000")) == "60%"
    assert percent(D("0.625")) == "62.5%"
    assert percent(D("1.0000")) == "100%"
    with pytest.raises(TypeError):
        yuan(0.1)  # money is never a float
    with pytest.raises(TypeError):
        percent(0.6)


def test_statement_names_the_issuing_bureau_printer_and_seal(client_for, clerk_yuzhong, settled, settings):
    settings.YIBAO_BUREAU = {"name": "某市医疗保障局", "address": "某市人民路8号", "hotline": "96110"}
    page = client_for(clerk_yuzhong).get(reverse("benefits:settlement_detail", args=[settled.pk])).content.decode()
    assert page.count("某市医疗保障局") >= 2  # heading and 出具单位
    assert "某市人民路8号" in page and "96110" in page
    assert re.search(r'data-testid="printed-by">clerk_yz<', page)
    assert re.search(r'data-testid="printed-at">\d{4}-\d{2}-\d{2} \d{2}:\d{2}<', page)
    assert "盖章处" in page
    assert "css/statement.css" in page  # its print rules: @page A4 (no inline style under the CSP)
    assert re.search(r"@page\s*\{\s*size:\s*A4", (settings.BASE_DIR / "static/css/statement.css").read_text())
    assert re.search(r'data-testid="pooled_ratio">70%<', page)  # level-2 inpatient, not 0.7000
    assert "× 70%" in settled.steps[0] and "10,000.00 元" in settled.steps[0]
    assert "0.7000" not in page


def test_reversal_confirmation_says_what_goes_back_and_changes_nothing(client_for, reviewer_yuzhong, settled):
    client = client_for(reviewer_yuzhong)
    url = reverse("benefits:settlement_reverse", args=[settled.pk])
    page = client.post(url, {"reason": "医院重复上传"}).content.decode()
    assert "确认冲正" in page
    assert "统筹基金 6,650.00 元" in page and "2023 年度累计" in page
    assert 'name="confirmed" value="1"' in page and 'value="医院重复上传"' in page
    assert reverse("benefits:settlement_detail", args=[settled.pk]) in page  # cancel leads back
    settled.refresh_from_db()
    assert settled.status == "settled"
    assert not AuditEvent.objects.filter(object_id=str(settled.pk), action="status").exists()


def test_manual_form_from_the_person_page_needs_no_id_number(client_for, clerk_yuzhong, policy_2023, hospital_yz):
    person = paid_resident()
    client = client_for(clerk_yuzhong)
    url = reverse("benefits:settlement_manual") + f"?person={person.pk}"
    page = client.get(url).content.decode()
    assert person.name in page and person.masked_id_number in page
    assert person.id_number not in page
    assert 'name="id_number"' not in page
    assert not AuditEvent.objects.filter(action="view_sensitive").exists()

    values = manual_form(person, hospital_yz)
    del values["id_number"]
    response = client.post(url, values)
    settlement = Settlement.objects.get()
    assert response.status_code == 302
    assert (settlement.person, settlement.kind, settlement.pooled_paid) == (person, "manual", D("6650.00"))


def test_manual_form_for_another_districts_person_is_404(client_for, clerk_jiangbei, policy_2023, hospital_yz):
    person = paid_resident()  # Yuzhong
    client = client_for(clerk_jiangbei)
    url = reverse("benefits:settlement_manual")
    assert client.get(f"{url}?person={person.pk}").status_code == 404
    values = manual_form(person, hospital_yz)
    del values["id_number"]
    assert client.post(f"{url}?person={person.pk}", values).status_code == 404
    assert client.get(f"{url}?person=999999").status_code == 404
    assert client.get(f"{url}?person=abc").status_code == 404
    assert not Settlement.objects.exists()


def test_conditional_fields_are_marked_and_named_when_missing(client_for, clerk_yuzhong, policy_2023, hospital_yz):
    client = client_for(clerk_yuzhong)
    url = reverse("benefits:settlement_manual")
    form = client.get(url).content.decode()
    assert "（住院时必填）" in form and "（门诊慢特病时必填）" in form
    person = paid_resident()
    no_discharge = client.post(url, manual_form(person, hospital_yz, discharge_date="")).content.decode()
    assert any("出院日期" in e for e in field_errors(no_discharge, "discharge_date"))
    no_disease = client.post(
        url, manual_form(person, hospital_yz, benefit_type="chronic", discharge_date="", chronic_disease_code="")
    ).content.decode()
    assert field_errors(no_disease, "chronic_disease_code") == ["门诊慢特病结算须选择慢特病病种"]
    assert not Settlement.objects.exists()


# The rows as the settlement list's template wrote them before they were written in Python (benefits/list_rows.py).
SETTLEMENT_ROWS_TEMPLATE = """{% load yibao %}{% for s in items %}
  <tr><td><a href="{{ s.pk|detail_url:'benefits:settlement_detail' }}"><code>{{ s.settlement_number }}</code></a></td><td>{{ s.institution.name }}</td><td>{{ s.person.name }}</td><td><code>{{ s.person.masked_id_number }}</code></td>
      <td>{{ s|choice:"benefit_type" }}</td><td>{{ s.service_date|date:"Y-m-d" }}</td><td class="num">{{ s.total_cost }}</td><td class="num">{{ s.fund_paid }}</td><td class="num">{{ s.out_of_pocket }}</td>
      <td>{{ s|choice:"kind" }}</td><td>{{ s|choice:"status" }}</td></tr>
  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_settlement_rows_written_in_python_are_the_templates_byte_for_byte(settled, hospital_yz, language):
    """Markup in a settlement number, an institution's and a person's name; amounts with and without cents;
    every type, kind and status label; the list's own columns only (SETTLEMENT_ROW_FIELDS)."""
    hospital_yz.name = '<b>渝中 & "医院"</b>'
    hospital_yz.save()
    settled.person.name = "<i>O'Brien</i>"
    settled.person.save()
    copy = Settlement.objects.get(pk=settled.pk)
    copy.pk, copy.settlement_number, copy.benefit_type, copy.kind = None, "<x>&1", "pharmacy", "manual"
    copy.status, copy.total_cost, copy.out_of_pocket = "reversed", D("1234567.8"), D("1234567.8") - copy.fund_paid
    copy.save()
    items = list(
        Settlement.objects.select_related("institution", "person").only(*SETTLEMENT_ROW_FIELDS).order_by("-pk")
    )
    with translation.override(language):
        expected = engines["django"].from_string(SETTLEMENT_ROWS_TEMPLATE).render({"items": items})
        assert settlement_rows_html(items) == expected
    assert "&lt;x&gt;&amp;1" in expected and "1234567.80" in expected and "O&#x27;Brien" in expected
