"""Every API field at and past its limits: a 400 (or 404) with a JSON body, never a 500, never HTML."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from benefits.models import Settlement
from core.models import JobRun
from tests.benefits_support import claim, resident, staff_client, token_client

SETTLEMENTS = "/api/v1/settlements/"


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


@pytest.mark.django_db
def test_settlement_total_cost_past_the_column_is_a_400_and_writes_nothing(policy_2023, institution_user):
    client = token_client(institution_user)
    person = resident()

    response = client.post(SETTLEMENTS, claim(person, "BIG", total_cost="9999999999.99"), format="json")

    assert response.status_code == 400
    assert "total_cost" in _json(response)
    assert Settlement.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_cost", "-1.00"),
        ("eligible_cost", "100000000.00"),
        ("total_cost", "1.001"),
        ("service_date", "0001-01-01"),
        ("service_date", "2101-01-01"),
        ("discharge_date", "9999-12-31"),
        ("settlement_number", "S" * 41),
    ],
)
def test_settlement_fields_out_of_range_are_refused(policy_2023, institution_user, field, value):
    response = token_client(institution_user).post(
        SETTLEMENTS, claim(resident(), "X1", **{field: value}), format="json"
    )

    assert response.status_code == 400
    assert field in _json(response)


@pytest.mark.django_db
def test_settlement_at_the_claim_limit_is_settled(policy_2023, institution_user):
    response = token_client(institution_user).post(
        SETTLEMENTS, claim(resident(), "MAX", total_cost="99999999.99", eligible_cost="99999999.99"), format="json"
    )

    assert response.status_code == 201, response.content
    assert Settlement.objects.get().total_cost == Decimal("99999999.99")


@pytest.mark.django_db
def test_fraud_scan_with_dates_at_year_one_is_a_400_and_starts_no_job(municipal_admin):
    response = staff_client(municipal_admin).post(
        "/api/v1/fraud-scans/", {"start": "0001-01-01", "end": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert set(_json(response)) == {"start", "end"}
    assert JobRun.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "page_size=abc",
        "page_size=0",
        "page_size=501",
        "page_size=-3",
        "cursor=cD1hYmM%3D",
        "cursor=cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
    ],
)
def test_invalid_pagination_is_a_400_with_json(municipal_admin, query):
    response = staff_client(municipal_admin).get(f"/api/v1/persons/?{query}")

    assert response.status_code == 400
    body = _json(response)
    assert set(body) <= {"page_size", "cursor"} and body


@pytest.mark.django_db
def test_page_size_within_bounds_is_honoured(municipal_admin):
    for _ in range(3):
        resident()

    response = staff_client(municipal_admin).get("/api/v1/persons/?page_size=2")

    assert response.status_code == 200
    assert len(_json(response)["results"]) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/persons/abc/", 404),
        ("get", "/api/v1/persons/999999/", 404),
        ("get", "/api/v1/no-such-thing/", 404),
        ("get", "/api/nothing-here/", 404),
        ("delete", "/api/v1/persons/", 405),
    ],
)
def test_every_error_under_api_is_json(municipal_admin, method, path, status):
    response = getattr(staff_client(municipal_admin), method)(path)

    assert response.status_code == status
    assert _json(response)["detail"]


@pytest.mark.django_db
def test_unsupported_media_type_and_accept_are_json(municipal_admin):
    client = staff_client(municipal_admin)

    unsupported = client.post("/api/v1/employers/", "x", content_type="text/plain")
    unacceptable = client.get("/api/v1/me/", HTTP_ACCEPT="image/png")

    assert unsupported.status_code == 415 and _json(unsupported)["detail"]
    assert unacceptable.status_code == 406 and _json(unacceptable)["detail"]


@pytest.mark.django_db
def test_anonymous_api_request_is_refused_with_json(districts):
    response = Client().get("/api/v1/persons/")

    assert response.status_code in (401, 403)
    assert _json(response)["detail"]


def _schema(user) -> dict:
    response = staff_client(user).get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.django_db
def test_me_without_district_matches_its_schema(municipal_admin):
    body = _json(staff_client(municipal_admin).get("/api/v1/me/"))
    schema = _schema(municipal_admin)

    assert body["district_code"] is None
    assert schema["components"]["schemas"]["MeOutput"]["properties"]["district_code"]["nullable"] is True


@pytest.mark.django_db
def test_schema_documents_the_error_answers_of_every_operation(municipal_admin):
    schema = _schema(municipal_admin)

    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 55
    for path, method, operation in operations:
        for code in ("400", "401", "403", "404", "429"):
            assert code in operation["responses"], (method, path, code)
    settle = schema["paths"]["/api/v1/settlements/"]["post"]["responses"]
    assert {"200", "201", "409", "415"} <= set(settle)
    money = schema["components"]["schemas"]["SettlementInput"]["properties"]["total_cost"]
    assert money["pattern"] == r"^\d{1,8}(\.\d{1,2})?$"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/settlements/?year=abc&person_id=x&institution=y",
        "/api/v1/settlements/?year=99999999999999999999",
        "/api/v1/enrollments/?person=abc",
        "/api/v1/bills/?coverage_year=abc&person=q",
        "/api/v1/high-cost-alerts/?year=99999999999999999999",
        "/api/v1/credit-ratings/?year=99999999999999999999",
        "/api/v1/inspections/?institution=abc",
        "/api/v1/audit-events/?date_from=0001-01-01",
        "/api/v1/fund/books/?year=abc",
        "/api/v1/fund/books/?year=1",
    ],
)
def test_junk_filters_never_answer_500(municipal_admin, url):
    response = staff_client(municipal_admin).get(url)

    assert response.status_code in (200, 400), response.content
    _json(response)
