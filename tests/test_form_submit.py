"""The shared submit step (core.views_helpers): a service's refusal lands on the right field and writes
nothing; success redirects and says so. Driven through real staff pages on the database."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from contributions.models import ContributionBill
from core.forms import apply_service_errors
from core.models import AuditEvent
from enrollment.models import Employer, Person
from tests.factories import EmployerFactory, PersonFactory, ResidentEnrollmentFactory, make_credit_code, make_id_number


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_service_refusal_lands_on_its_field_and_writes_nothing(client_for, clerk_yuzhong, districts):
    # given an employer already registered under this credit code
    taken = EmployerFactory()
    client = client_for(clerk_yuzhong)  # logging in is itself in the trail: count after it
    events_before = AuditEvent.objects.count()

    # when a clerk registers another employer with the same code
    response = client.post(
        reverse("enrollment:employer_register"),
        {"credit_code": taken.credit_code, "name": "重庆另一家有限公司", "district": districts["500103"].pk},
    )

    # then the page is shown again with the service's message next to the code, and nothing is written
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "enrollment/form.html"
    assert response.context["form"].errors == {"credit_code": ["该统一社会信用代码已登记"]}
    assert "该统一社会信用代码已登记" in response.content.decode()
    assert Employer.objects.count() == 1
    assert AuditEvent.objects.count() == events_before
    assert _messages(response) == []


@pytest.mark.django_db
def test_refusal_by_a_later_service_undoes_the_earlier_one(client_for, clerk_yuzhong, districts):
    # when a clerk registers a new person whose employer is not registered
    number = make_id_number(seq=901)
    response = client_for(clerk_yuzhong).post(
        reverse("enrollment:person_register"),
        {
            "id_number": number,
            "name": "李四",
            "district": districts["500103"].pk,
            "scheme": "employee",
            "category": "active",
            "employer_code": make_credit_code(),
            "contribution_base": "5000",
            "start_date": "2023-01-01",
        },
    )

    # then the refusal shows at the employer code and the person registered in the same call is gone again
    assert response.status_code == 200
    assert response.context["form"].errors == {"employer_code": ["参保单位未登记，请先登记该单位"]}
    assert not Person.objects.filter(id_number=number).exists()


@pytest.mark.django_db
def test_success_redirects_and_shows_the_message(client_for, clerk_yuzhong, districts):
    # given a person
    person = PersonFactory(name="王五", phone="")

    # when a clerk changes the name
    client = client_for(clerk_yuzhong)
    response = client.post(reverse("enrollment:person_edit", args=[person.pk]), {"name": "王五六", "phone": ""})

    # then it is saved, the clerk goes back to the person page, and the page says so
    detail = reverse("enrollment:person_detail", args=[person.pk])
    assert response.status_code == 302
    assert response["Location"] == detail
    person.refresh_from_db()
    assert person.name == "王五六"
    page = client.get(detail)
    assert "已保存" in page.content.decode()


@pytest.mark.django_db
def test_get_and_invalid_form_render_the_page_without_calling_the_service(client_for, clerk_yuzhong, districts):
    # given a person
    person = PersonFactory(name="赵六", phone="")
    url = reverse("enrollment:person_edit", args=[person.pk])
    client = client_for(clerk_yuzhong)
    events_before = AuditEvent.objects.count()

    # when the clerk opens the form, then posts it without a name
    opened = client.get(url)
    refused = client.post(url, {"name": "", "phone": "13800000000"})

    # then both show the form, the field's own message is next to the name, and nothing changed
    assert opened.status_code == 200 and not opened.context["form"].is_bound
    assert refused.status_code == 200
    assert list(refused.context["form"].errors) == ["name"]
    person.refresh_from_db()
    assert (person.name, person.phone) == ("赵六", "")
    assert AuditEvent.objects.count() == events_before
    assert _messages(refused) == []


@pytest.mark.django_db
def test_a_refused_button_action_says_why_and_writes_nothing(client_for, clerk_yuzhong, districts):
    # given an enrollment that starts in 2023
    enrollment = ResidentEnrollmentFactory()

    # when a clerk issues a bill for 2022
    response = client_for(clerk_yuzhong).post(
        reverse("contributions:bill_issue", args=[enrollment.pk]), {"coverage_year": "2022"}
    )

    # then the clerk is back on the person page with the service's reason, and no bill exists
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollment:person_detail", args=[enrollment.person_id])
    assert _messages(response) == ["参保开始日期晚于2022年度"]
    assert not ContributionBill.objects.filter(person_id=enrollment.person_id).exists()


class _BindingForm(forms.Form):
    member_id_number = forms.CharField()


def test_aliases_rename_service_fields_and_unknown_fields_go_above_the_form():
    form = _BindingForm({"member_id_number": "x"})
    assert form.is_valid()

    apply_service_errors(
        form,
        ValidationError({"person": "不能绑定本人", "relation": "关系不在可选范围内"}),
        aliases={"person": "member_id_number"},
    )

    assert form.errors["member_id_number"] == ["不能绑定本人"]
    assert form.non_field_errors() == ["关系不在可选范围内"]
