"""Schemathesis against the whole API, in-process, on the real database.

Every operation of the OpenAPI schema (as /api/schema/ serves it) is fuzzed with schema-valid and
schema-invalid requests, as a municipal admin (HTTP basic auth) and as an institution's system account
(token), with every check schemathesis enables by default (not_a_server_error, status_code_conformance,
content_type_conformance, response_headers_conformance, response_schema_conformance,
negative_data_rejection, positive_data_acceptance, ...). Required result: no failure at all.

Bounded: EXAMPLES_PER_OPERATION per operation, per generation mode and caller, so the whole test
stays within a few minutes on a 2-core CI machine. Excluded operations are listed in EXCLUDED with why.
"""

import base64
import datetime as dt
import os
from collections import Counter
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.benefits_support import claim, resident, token_client
from tests.conftest import PASSWORD

# Examples per operation, per generation mode (positive, negative) and per caller; the CI bound.
EXAMPLES_PER_OPERATION = int(os.environ.get("YIBAO_SCHEMATHESIS_EXAMPLES", "8"))

# Multipart file uploads: schemathesis sends random bytes as the file; the import limits and parsers
# have their own tests (tests/test_import_*); here they would only start background jobs on garbage.
EXCLUDED = {
    ("POST", "/api/v1/imports/"),
    ("POST", "/api/v1/aid-recipients/import/"),
}

pytestmark = pytest.mark.django_db


# A schema-valid request may still break a rule only the database knows (an ID number that is not
# enrolled, an end date before the start, a bill already paid): those are 400 with field messages, so
# positive_data_acceptance counts 400 as an acceptable answer too; every other check runs as shipped.
POSITIVE_EXPECTED_STATUSES = ["2xx", "400", "401", "403", "404", "409", "429"]


def _config(auth_scheme: dict) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": auth_scheme},
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_EXPECTED_STATUSES}},
        }
    )


@pytest.fixture
def api_dataset(districts, policy_2023, municipal_admin, institution_user, hospital_yz):
    """A person with a paid enrollment and one settlement, so detail endpoints find something."""
    from benefits.services import SettlementRequest, settlement_create

    person = resident(year=2023)
    body = claim(person, "FUZZ-1")
    settlement_create(
        actor=institution_user,
        institution=hospital_yz,
        request=SettlementRequest(
            settlement_number=body["settlement_number"],
            id_number=body["id_number"],
            benefit_type=body["benefit_type"],
            service_date=dt.date(2023, 3, 1),
            discharge_date=dt.date(2023, 3, 10),
            total_cost=Decimal(body["total_cost"]),
            eligible_cost=Decimal(body["eligible_cost"]),
        ),
    )
    token_header = token_client(institution_user)._credentials["HTTP_AUTHORIZATION"]
    return {
        "admin": {"basicAuth": {"username": municipal_admin.username, "password": PASSWORD}},
        "institution": {"tokenAuth": {"api_key": token_header}},
    }


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in EXCLUDED:
            yield operation


def _fuzz(app, auth_scheme: dict, schema_reader: dict, statuses: list[int]) -> list[str]:
    """Every operation, both generation modes, as the caller `auth_scheme` names. The schema itself is
    read as `schema_reader` (staff only: an institution's account may not read /api/schema/)."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app, config=_config(auth_scheme), headers=schema_reader)
    operations = list(_operations(schema))
    assert len(operations) >= 55, [f"{o.method} {o.path}" for o in operations]
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                statuses.append(case.call_and_validate().status_code)

            try:
                run()
            except Unsatisfiable:
                if mode == GenerationMode.POSITIVE:
                    raise
                # Nothing to negate: the operation takes no parameters and no body.
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure, report all
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    return failures


@pytest.fixture
def wsgi_app():
    """The real WSGI application, keeping the test's database connection open between requests (as
    django.test.Client does): otherwise the first request would close the test transaction's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_dataset, wsgi_app, settings):
    # The ignored_auth check sends the admin's name with wrong credentials on purpose; django-axes would
    # lock the account out after five of them (tests/test_security.py covers the lockout itself).
    settings.AXES_ENABLED = False
    assert connection.vendor == "postgresql" or not os.environ.get("YIBAO_REQUIRE_SERVICES")
    app = wsgi_app
    admin = api_dataset["admin"]["basicAuth"]
    reader = {"Authorization": "Basic " + base64.b64encode(f"{admin['username']}:{PASSWORD}".encode()).decode()}
    as_admin: list[int] = []
    as_institution: list[int] = []
    failures = _fuzz(app, api_dataset["admin"], reader, as_admin)
    failures += _fuzz(app, api_dataset["institution"], reader, as_institution)

    assert not failures, "\n\n".join(failures)
    # It really ran: many requests per caller, the admin's mostly answered, the institution refused most.
    assert len(as_admin) >= 55 * EXAMPLES_PER_OPERATION and len(as_institution) >= 55 * EXAMPLES_PER_OPERATION
    assert sum(200 <= code < 300 for code in as_admin) >= 100, Counter(as_admin)
    assert 403 in as_institution and any(200 <= code < 300 for code in as_institution)
