import datetime as dt
import importlib
import json
import os
import shutil

import dj_database_url
import pytest
from django.conf import settings
from django.test import Client

from core.models import District
from core.reference import district_load_reference
from core.roles import Role
from core.services import staff_user_create
from tests.browser_support import CHROMIUM_FLAGS
from tests.seeding import reseed

PASSWORD = "Test-password-2026"

# CI sets this so that a missing service fails the run instead of skipping tests.
REQUIRE_SERVICES = os.environ.get("YIBAO_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


# Two PostgreSQL roles (core/db_roles.py): DATABASE_URL is the runtime role the tests run as, and
# DATABASE_OWNER_URL the owner that creates and migrates the test database, applies the grants, empties
# tables between transactional tests (TRUNCATE) and drops the database at the end. Unset: one role, as
# a developer's database or SQLite.
OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "")
_ROLES: dict[str, tuple[str, str]] = {}


def two_roles() -> bool:
    return bool(_ROLES)


def _use_role(which: str) -> None:
    from django.db import connections

    db = connections["default"]
    db.close()
    db.settings_dict["USER"], db.settings_dict["PASSWORD"] = _ROLES[which]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """With DATABASE_OWNER_URL: the test database is created and migrated as the owner."""
    from django.db import connections

    if not OWNER_URL or connections["default"].vendor != "postgresql":
        return
    owner = dj_database_url.parse(OWNER_URL)
    runtime = connections["default"].settings_dict
    _ROLES["runtime"] = (runtime["USER"], runtime["PASSWORD"])
    _ROLES["owner"] = (owner["USER"], owner["PASSWORD"])
    _use_role("owner")


def _flush_as_owner(original):
    def execute_sql_flush(self, sql_list):
        if self.connection.alias != "default" or not two_roles():
            return original(self, sql_list)
        owner_db = owner_connection()
        try:
            with owner_db.cursor() as cursor:
                for sql in sql_list:
                    cursor.execute(sql)
        finally:
            owner_db.close()

    return execute_sql_flush


def owner_connection():
    """A new connection to the test database as the schema owner (the runtime connection's role when
    there is only one). Close it after use."""
    from django.db import connections

    db = connections["default"].copy()
    if two_roles():
        db.settings_dict["USER"], db.settings_dict["PASSWORD"] = _ROLES["owner"]
    return db


@pytest.fixture
def owner_db(db):
    """A connection as the schema owner, for tests that act as the owner or a DBA would (SQLite: the one
    connection there is)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield connection
        return
    owner = owner_connection()
    yield owner
    owner.close()


@pytest.fixture
def runtime_role_only(db):
    """The runtime role's name, for tests of the real grants: they need DATABASE_OWNER_URL (two roles)."""
    if not two_roles():
        skip_or_fail("two PostgreSQL roles (DATABASE_OWNER_URL, the owner; DATABASE_URL, the runtime role)")
    return _ROLES["runtime"][0]


@pytest.fixture(scope="session", autouse=True)
def _runtime_role_after_setup(request, django_db_blocker):
    """Once the owner has migrated the test database: the grants, then every test connects as the
    runtime role. Flushing (TRUNCATE, which the runtime role may not do) goes through the owner."""
    if not OWNER_URL:
        yield
        return
    request.getfixturevalue("django_db_setup")
    if not two_roles():  # DATABASE_OWNER_URL with SQLite: nothing to do
        yield
        return
    from django.core.management import call_command
    from django.db.backends.postgresql.operations import DatabaseOperations

    runtime_user = _ROLES["runtime"][0]
    with django_db_blocker.unblock():
        call_command("db_grants", runtime_role=runtime_user, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    _use_role("runtime")
    original = DatabaseOperations.execute_sql_flush
    DatabaseOperations.execute_sql_flush = _flush_as_owner(original)
    yield
    DatabaseOperations.execute_sql_flush = original
    _use_role("owner")  # the owner drops the test database


@pytest.fixture
def districts(db) -> dict[str, District]:
    district_load_reference(actor=None)
    return {d.code: d for d in District.objects.all()}


@pytest.fixture
def make_user(districts):
    def make(username: str, role: str, district_code: str | None = None):
        return staff_user_create(
            actor=None,
            username=username,
            password=PASSWORD,
            role=role,
            district_id=districts[district_code].pk if district_code else None,
        )

    return make


@pytest.fixture
def clerk_yuzhong(make_user):
    return make_user("clerk_yz", Role.DISTRICT_CLERK, "500103")


@pytest.fixture
def reviewer_yuzhong(make_user):
    return make_user("reviewer_yz", Role.DISTRICT_REVIEWER, "500103")


@pytest.fixture
def reviewer_jiangbei(make_user):
    return make_user("reviewer_jb", Role.DISTRICT_REVIEWER, "500105")


@pytest.fixture
def municipal_admin(make_user):
    return make_user("admin_city", Role.MUNICIPAL_ADMIN)


@pytest.fixture
def auditor(make_user):
    return make_user("auditor_city", Role.AUDITOR)


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def conftest_password() -> str:
    return PASSWORD


@pytest.fixture(autouse=True)
def _sqlite_audit_trigger_vs_flush(request):
    """Transactional tests end with a flush that empties every table, migrated reference rows included.

    * The fund books' chart and the default risk rules are loaded again before each such test.
    * On SQLite, Django empties tables with DELETE, which the append-only triggers (audit trail, journal)
      rightly refuse: drop the delete triggers just for that flush and put them back before the next
      test. PostgreSQL flushes with TRUNCATE (as the owner, with two roles)."""
    from django.apps import apps
    from django.db import connection

    from core.ledger_chart import ledger_chart_sync

    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    ledger_chart_sync()
    importlib.import_module("audit.migrations.0007_default_fund_risk_rules").forward(apps, None)
    if connection.vendor != "sqlite":
        yield
        return
    audit_chain = importlib.import_module("core.migrations.0005_audit_chain")
    books = importlib.import_module("core.migrations.0009_fund_books_integrity")
    with connection.cursor() as cursor:
        for sql in audit_chain.SQLITE_FORWARD + books.SQLITE_FORWARD:
            if "CREATE TRIGGER core_auditevent_no_delete" in sql or "_no_delete BEFORE" in sql:
                cursor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))
    yield
    with connection.cursor() as cursor:
        for trigger in ("core_auditevent_no_delete", "core_journalentry_no_delete", "core_journalline_no_delete"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def standards_2023(db):
    """The 2023 contribution standards the data migration seeds, again: transactional tests
    empty every table afterwards, migration-seeded rows included."""
    from django.apps import apps

    importlib.import_module("contributions.migrations.0003_seed_standards_2023").seed(apps, None)


@pytest.fixture
def clerk_jiangbei(make_user):
    return make_user("clerk_jb", Role.DISTRICT_CLERK, "500105")


@pytest.fixture
def policy_2023(db):
    """The seeded 2023 benefit policy (transactional tests empty every table, so load it per test)."""
    from benefits.services import benefit_policy_load

    document = json.loads((settings.BASE_DIR / "benefits/reference/policy_2023.json").read_text(encoding="utf-8"))
    benefit_policy_load(actor=None, document=document)
    reseed(
        [
            "benefits.migrations.0003_seed_chronic_catalogue_and_credit_rules",
            "benefits.migrations.0008_two_diseases_not_chronic",
        ]
    )


@pytest.fixture
def hospital_yz(districts):
    from benefits.services import institution_register

    return institution_register(
        actor=None, name="渝中区人民医院", kind="hospital", level=2, district_id=districts["500103"].pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip


@pytest.fixture
def pharmacy_yz(districts):
    from benefits.services import institution_register

    return institution_register(
        actor=None, name="渝中大药房", kind="pharmacy", level=None, district_id=districts["500103"].pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip


@pytest.fixture
def institution_user(districts, hospital_yz):
    return staff_user_create(
        actor=None, username="his_yz", password=PASSWORD, role=Role.INSTITUTION,
        district_id=hospital_yz.district_id, institution_id=hospital_yz.pk,
    )  # fmt: skip


@pytest.fixture
def page(live_server):
    chromium = os.environ.get("YIBAO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        skip_or_fail("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright keeps an event loop in this thread; Django's ORM calls below are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = browser.new_context(locale="zh-CN")
        yield context.new_page()
        context.close()
        browser.close()
