"""Benefits staff pages of one person: the benefits panel on the person page (year totals, recent
settlements, chronic-disease registrations) and the personal account (ledger, 家庭共济, payments)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from benefits.models import AccountEntry, ChronicRegistration, FamilyBinding, PersonalAccount
from contributions.models import ContributionBill
from core.models import AuditEvent
from tests.factories import PersonFactory, ResidentEnrollmentFactory
from tests.test_benefits_views import employee_with_account, field_errors, paid_resident, settled  # noqa: F401

pytestmark = pytest.mark.django_db
D = Decimal


# 1. The person's benefits panel


def test_panel_shows_year_totals_settlements_and_chronic_registration(client_for, clerk_yuzhong, settled):  # noqa: F811
    client = client_for(clerk_yuzhong)
    person = settled.person
    detail = client.get(reverse("enrollment:person_detail", args=[person.pk])).content.decode()
    assert reverse("benefits:person_panel", args=[person.pk]) in detail
    panel = client.get(reverse("benefits:person_panel", args=[person.pk]), headers={"HX-Request": "true"})
    html = panel.content.decode()
    assert "<html" not in html  # the fragment only
    assert "6650.00" in html and reverse("benefits:settlement_detail", args=[settled.pk]) in html
    assert 'data-testid="account-link"' not in html  # a resident has no personal account

    response = client.post(
        reverse("benefits:chronic_add", args=[person.pk]),
        {"disease": "MT001", "valid_from": "2023-01-01", "certified_by": "重医附一院"},
    )
    assert response.status_code == 302
    registration = ChronicRegistration.objects.get(person=person)
    assert (registration.disease.code, registration.status) == ("MT001", "active")
    again = client.post(
        reverse("benefits:chronic_add", args=[person.pk]), {"disease": "MT001", "valid_from": "2023-01-01"}
    )
    assert field_errors(again.content.decode(), "disease") == ["该参保人已登记高血压，无需重复登记"]
    assert ChronicRegistration.objects.filter(person=person).count() == 1

    client.post(reverse("benefits:chronic_revoke", args=[person.pk, registration.pk]))
    registration.refresh_from_db()
    assert registration.status == "revoked"
    assert AuditEvent.objects.filter(object_type="benefits.chronicregistration").count() == 2


# 2. Personal account


def test_account_page_binds_family_and_pays_a_relatives_resident_bill(
    client_for,
    clerk_yuzhong,
    employee_with_account,  # noqa: F811
):
    holder = employee_with_account
    client = client_for(clerk_yuzhong)
    url = reverse("benefits:account_detail", args=[holder.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="balance">480.00<' in page and page.count("划入") >= 3

    spouse = PersonFactory()
    enrollment = ResidentEnrollmentFactory(person=spouse)
    bill = ContributionBill.objects.create(
        person=spouse, enrollment=enrollment, district_id=spouse.district_id, coverage_year=2024,
        scheme="resident", due_amount=D("380.00"),
    )  # fmt: skip
    bad = client.post(
        reverse("benefits:family_add", args=[holder.pk]), {"member_id_number": holder.id_number, "relation": "spouse"}
    )
    assert field_errors(bad.content.decode(), "member_id_number") == ["本人使用个人账户无需绑定"]
    client.post(
        reverse("benefits:family_add", args=[holder.pk]), {"member_id_number": spouse.id_number, "relation": "spouse"}
    )
    binding = FamilyBinding.objects.get(active=True)
    page = client.get(url).content.decode()
    assert spouse.masked_id_number in page and spouse.id_number not in page
    assert f'<option value="{bill.pk}">' in page  # the relative's open bill is offered

    forbidden = client.post(reverse("benefits:account_pay", args=[holder.pk]), {"purpose": "cash", "amount": "10"})
    assert forbidden.status_code == 200 and field_errors(forbidden.content.decode(), "purpose")
    too_much = client.post(
        reverse("benefits:account_pay", args=[holder.pk]),
        {"purpose": "resident_contribution", "amount": "500.00", "beneficiary_id_number": spouse.id_number,
         "bill_id": bill.pk},
    )  # fmt: skip
    assert field_errors(too_much.content.decode(), "amount") == ["个人账户余额不足（余额 480.00 元）"]
    assert not AccountEntry.objects.filter(kind="payment").exists()

    paid = client.post(
        reverse("benefits:account_pay", args=[holder.pk]),
        {"purpose": "resident_contribution", "amount": "380.00", "beneficiary_id_number": spouse.id_number,
         "bill_id": bill.pk},
    )  # fmt: skip
    assert paid.status_code == 302
    bill.refresh_from_db()
    assert bill.status == "paid"
    assert PersonalAccount.objects.get(person=holder).balance == D("100.00")
    assert AuditEvent.objects.filter(object_type="benefits.accountentry", action="create").exists()

    client.post(reverse("benefits:family_end", args=[holder.pk, binding.pk]))
    binding.refresh_from_db()
    assert binding.active is False
    panel = client.get(reverse("benefits:person_panel", args=[holder.pk])).content.decode()
    assert url in panel  # the panel links to the account


def test_account_page_of_a_resident_says_there_is_none(client_for, clerk_yuzhong, districts):
    person = paid_resident()
    page = client_for(clerk_yuzhong).get(reverse("benefits:account_detail", args=[person.pk])).content.decode()
    assert "该参保人没有职工医保个人账户" in page


def test_panel_and_account_pages_use_a_fixed_number_of_queries(
    client_for,
    clerk_yuzhong,
    settled,  # noqa: F811
    employee_with_account,  # noqa: F811
    django_assert_max_num_queries,
):
    client = client_for(clerk_yuzhong)
    panel = reverse("benefits:person_panel", args=[settled.person_id])
    account = reverse("benefits:account_detail", args=[employee_with_account.pk])
    client.get(panel)  # warm the session
    with django_assert_max_num_queries(11):
        assert client.get(panel, headers={"HX-Request": "true"}).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(account).content.decode().count("划入 2023") == 3
