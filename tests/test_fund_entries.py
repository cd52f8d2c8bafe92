"""手工记账 (/audit/fund/entries/): municipal administrators post what no record causes and 冲销 an entry
posted in error; nobody else may (audit/fund_entry_views.py, core.ledger.manual_entry_post)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from core.models import AuditEvent, JournalEntry, JournalLine, LedgerAccount

D = Decimal
URL = "/audit/fund/entries/"
pytestmark = pytest.mark.django_db


def interest_form(districts, **overrides) -> dict:
    account = LedgerAccount.objects.get(fund__code="resident_pooled", code="interest")
    data = {
        "account": account.pk, "district": districts["500103"].pk, "year": "2023", "accounting_date": "2023-06-30",
        "amount": "1234.56", "reason": "二季度银行存款利息",
    }  # fmt: skip
    data.update(overrides)
    return data


def posted(entry: JournalEntry) -> dict[str, D]:
    return dict(entry.lines.values_list("account__code", "amount"))


def test_an_admin_posts_an_interest_entry_balanced_and_audited(districts, municipal_admin, client_for):
    client = client_for(municipal_admin)

    response = client.post(URL, interest_form(districts), follow=True)

    assert response.status_code == 200 and "已记账" in response.content.decode()
    entry = JournalEntry.objects.get()
    assert (entry.source, entry.year, entry.accounting_date, entry.memo, entry.created_by_id) == (
        "manual", 2023, dt.date(2023, 6, 30), "二季度银行存款利息", municipal_admin.pk,
    )  # fmt: skip
    # money in: the bank is debited, the interest income credited, both in 渝中
    assert posted(entry) == {"bank": D("1234.56"), "interest": D("-1234.56")}
    assert set(entry.lines.values_list("district_id", flat=True)) == {districts["500103"].pk}
    assert JournalLine.objects.aggregate(total=Sum("amount"))["total"] == 0
    event = AuditEvent.objects.get(object_type="core.journalentry", object_id=str(entry.pk))
    assert (event.action, event.actor_id) == ("create", municipal_admin.pk)
    assert event.new_values["reason"] == "二季度银行存款利息" and event.new_values["amount"] == "1234.56"
    html = response.content.decode()
    assert f'<tr data-entry="{entry.pk}">' in html and "城乡居民基本医疗保险基金 · 利息收入 · 渝中区：-1,234.56" in html


def test_an_expense_entry_is_a_debit(districts, municipal_admin, client_for):
    account = LedgerAccount.objects.get(fund__code="medical_aid", code="other_expense")
    client_for(municipal_admin).post(URL, interest_form(districts, account=account.pk, district="", amount="10.00"))
    entry = JournalEntry.objects.get()
    assert posted(entry) == {"other_expense": D("10.00"), "bank": D("-10.00")}
    assert set(entry.lines.values_list("district_id", flat=True)) == {None}


def test_a_missing_reason_is_a_chinese_field_error_and_writes_nothing(districts, municipal_admin, client_for):
    client = client_for(municipal_admin)  # logging in is itself audited
    events = AuditEvent.objects.count()

    response = client.post(URL, interest_form(districts, reason=""))

    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["该字段是必填项。"]
    assert "该字段是必填项" in response.content.decode()
    assert not JournalEntry.objects.exists() and AuditEvent.objects.count() == events


def test_a_blank_reason_is_refused_by_the_service_too(districts, municipal_admin, client_for):
    response = client_for(municipal_admin).post(URL, interest_form(districts, reason="   "))
    assert response.status_code == 400 and not JournalEntry.objects.exists()
    assert "reason" in response.context["form"].errors


def test_a_non_manual_account_is_not_offered(districts, municipal_admin, client_for):
    bank = LedgerAccount.objects.get(fund__code="resident_pooled", code="individual_contribution")
    response = client_for(municipal_admin).post(URL, interest_form(districts, account=bank.pk))
    assert response.status_code == 400 and "account" in response.context["form"].errors
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize("who", ["auditor", "reviewer_yuzhong", "clerk_yuzhong"])
def test_others_get_403(who, request, districts, client_for):
    client = client_for(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, interest_form(districts)).status_code == 403
    assert not JournalEntry.objects.exists()


def test_reversing_an_entry_once_and_refusing_a_second_time(districts, municipal_admin, auditor, client_for):
    client = client_for(municipal_admin)
    client.post(URL, interest_form(districts))
    original = JournalEntry.objects.get()
    reverse = f"{URL}{original.pk}/reverse/"

    assert client_for(auditor).post(reverse, {"reason": "记错金额"}).status_code == 403
    response = client.post(reverse, {"reason": "记错金额"}, follow=True)

    assert "已冲销" in response.content.decode()
    reversal = JournalEntry.objects.get(reverses=original)
    assert reversal.memo == f"冲销第{original.pk}号凭证：记错金额" and reversal.year == 2023
    assert posted(reversal) == {"bank": D("-1234.56"), "interest": D("1234.56")}
    assert posted(original) == {"bank": D("1234.56"), "interest": D("-1234.56")}  # the original stays
    assert AuditEvent.objects.filter(object_type="core.journalentry", object_id=str(reversal.pk)).exists()
    html = response.content.decode()
    assert f"冲销第 {original.pk} 号" in html

    again = client.post(reverse, {"reason": "再次冲销"}, follow=True)

    assert "该凭证已冲销" in again.content.decode()
    assert JournalEntry.objects.count() == 2
    assert client.post(f"{URL}{reversal.pk}/reverse/", {"reason": "冲销冲销凭证"}, follow=True).status_code == 200
    assert JournalEntry.objects.count() == 2  # a reversal is not reversed again


def test_a_reversal_without_reason_is_refused(districts, municipal_admin, client_for):
    client = client_for(municipal_admin)
    client.post(URL, interest_form(districts))
    original = JournalEntry.objects.get()
    response = client.post(f"{URL}{original.pk}/reverse/", {"reason": ""}, follow=True)
    assert "请填写冲销原因" in response.content.decode() and JournalEntry.objects.count() == 1
