"""Staff pages: district scope (404), roles (403), Chinese messages next to fields, nothing half-written."""

import pytest
from django.urls import reverse

from contributions.services import contribution_bill_issue
from core.models import ImportBatch
from enrollment.models import Enrollment, Person
from tests.factories import ResidentEnrollmentFactory, make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def yz_enrollment(districts):
    return ResidentEnrollmentFactory()


def test_other_district_sees_nothing_of_a_person(client_for, reviewer_jiangbei, yz_enrollment):
    client = client_for(reviewer_jiangbei)
    person = yz_enrollment.person
    bill = contribution_bill_issue(actor=None, enrollment=yz_enrollment, coverage_year=2023)
    urls = [
        reverse("enrollment:person_detail", args=[person.pk]),
        reverse("enrollment:person_edit", args=[person.pk]),
        reverse("enrollment:enrollment_add", args=[person.pk]),
        reverse("enrollment:enrollment_edit", args=[yz_enrollment.pk]),
        reverse("enrollment:enrollment_terminate", args=[yz_enrollment.pk]),
        reverse("enrollment:enrollment_transfer", args=[yz_enrollment.pk]),
        reverse("contributions:payment_record", args=[bill.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert person.name not in response.content.decode()
    assert client.post(reverse("enrollment:person_reveal_id", args=[person.pk])).status_code == 404
    listing = client.get(reverse("enrollment:person_list"), {"q": person.name}).content.decode()
    table = listing.split('data-testid="person-table"')[1]
    assert person.name not in table and "没有符合条件的参保人" in table


def test_same_district_clerk_sees_the_person_with_masked_id(client_for, clerk_yuzhong, yz_enrollment):
    person = yz_enrollment.person
    page = client_for(clerk_yuzhong).get(reverse("enrollment:person_detail", args=[person.pk])).content.decode()
    assert person.masked_id_number in page
    assert person.id_number not in page


def test_auditor_may_read_but_not_change(client_for, auditor, yz_enrollment):
    client = client_for(auditor)
    person = yz_enrollment.person
    assert client.get(reverse("enrollment:person_detail", args=[person.pk])).status_code == 200
    assert client.get(reverse("enrollment:person_edit", args=[person.pk])).status_code == 403
    response = client.post(
        reverse("enrollment:enrollment_terminate", args=[yz_enrollment.pk]),
        {"end_date": "2023-06-30", "reason": "other"},
    )
    assert response.status_code == 403
    yz_enrollment.refresh_from_db()
    assert yz_enrollment.status == "active"
    assert client.post(reverse("enrollment:person_reveal_id", args=[person.pk])).status_code == 403


def test_register_form_shows_chinese_errors_next_to_fields_and_writes_nothing(client_for, clerk_yuzhong, districts):
    number = make_id_number(seq=777)
    response = client_for(clerk_yuzhong).post(
        reverse("enrollment:person_register"),
        {
            "id_number": number,
            "name": "张三",
            "district": districts["500103"].pk,
            "scheme": "resident",
            "category": "adult",
            "tier": "",
            "start_date": "2023-01-01",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "居民医保须选择一档或二档" in page
    # The person part was valid, but the enrollment part was not: neither is written.
    assert not Person.objects.filter(id_number=number).exists()
    assert not Enrollment.objects.exists()


def test_register_then_terminate_through_the_pages(client_for, clerk_yuzhong, districts):
    client = client_for(clerk_yuzhong)
    number = make_id_number(seq=778)
    response = client.post(
        reverse("enrollment:person_register"),
        {
            "id_number": number.lower(),
            "name": "李四",
            "district": districts["500103"].pk,
            "scheme": "resident",
            "category": "adult",
            "tier": "2",
            "start_date": "2023-01-01",
        },
    )
    person = Person.objects.get(id_number=number)
    assert response.status_code == 302 and response["Location"] == reverse("enrollment:person_detail", args=[person.pk])
    enrollment = person.enrollments.get()
    assert (enrollment.tier, enrollment.status) == (2, "active")
    bad = client.post(
        reverse("enrollment:enrollment_terminate", args=[enrollment.pk]), {"end_date": "2022-01-01", "reason": "other"}
    )
    assert "终止日期不能早于参保开始日期" in bad.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    good = client.post(
        reverse("enrollment:enrollment_terminate", args=[enrollment.pk]), {"end_date": "2023-06-30", "reason": "other"}
    )
    assert good.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.status, str(enrollment.end_date)) == ("terminated", "2023-06-30")


def test_import_batch_of_another_district_is_404(client_for, reviewer_jiangbei, clerk_yuzhong, districts):
    batch = ImportBatch.objects.create(
        original_name="x.csv", sha256="0" * 64, district=districts["500103"], file="imports/x.csv"
    )
    assert client_for(reviewer_jiangbei).get(reverse("core:import_detail", args=[batch.pk])).status_code == 404
    assert client_for(reviewer_jiangbei).get(f"/api/v1/imports/{batch.pk}/").status_code == 404
    assert client_for(reviewer_jiangbei).post(reverse("core:import_confirm", args=[batch.pk])).status_code == 404
    assert client_for(clerk_yuzhong).get(reverse("core:import_detail", args=[batch.pk])).status_code == 200


def test_person_search_lists_use_a_fixed_number_of_queries(
    client_for, clerk_yuzhong, districts, django_assert_max_num_queries
):
    for _ in range(30):
        ResidentEnrollmentFactory()
    client = client_for(clerk_yuzhong)
    client.get(reverse("enrollment:person_list"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("enrollment:person_list"))
    assert response.content.decode().count("********") == 30
