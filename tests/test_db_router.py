"""The read replica (issue 14 point 7; docs/operations.md "Read replica"): dashboard and report reads inside
core.replica.reporting_reads() go to DATABASES["replica"] when one is configured; every write, every read
outside the block, every read inside a transaction and every read after the block wrote go to the primary.

Here the replica is the primary's own test database reached through a second connection (TEST MIRROR), so
routed reads are seen on that connection's query log and the figures must come out the same."""

import copy
import json
import os
import subprocess
import sys
import threading
import warnings
from contextlib import contextmanager, nullcontext

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from audit.fund_models import FundRiskRule
from audit.fund_selectors import fund_books
from audit.remote_indicators import remote_indicators
from benefits.models import Settlement
from config.db_router import REPLICA, ReplicaRouter
from contributions.models import CoverageWindow
from core.ledger import books_reconcile
from core.models import District, JobRun, JournalLine
from core.replica import reporting_reads
from tests.benefits_support import staff_client
from tests.seeding import reseed
from tests.test_fund_dashboard import CRITICAL, build_scenario

router = ReplicaRouter()
FUND_API, FUND_PAGE, REMOTE_PAGE = "/api/v1/fund/books/", "/audit/fund/", "/audit/remote-care/"


def _databases_with_replica() -> dict:
    default = connections[DEFAULT_DB_ALIAS].settings_dict
    replica = copy.deepcopy(default)
    replica["TEST"] = {**replica["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
    return {DEFAULT_DB_ALIAS: default, REPLICA: replica}


@contextmanager
def databases_setting(databases: dict):
    """settings.DATABASES as given (what the router reads), without Django's warning about overriding it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Overriding setting DATABASES")
        with override_settings(DATABASES=databases):
            yield


@contextmanager
def replica_configured():
    """settings.DATABASES with a "replica" that mirrors the test database, and a live connection to it."""
    databases = _databases_with_replica()
    with databases_setting(databases):
        connections.settings[REPLICA] = databases[REPLICA]
        try:
            # Connected here: the test case refuses to open connections to aliases it was not set up
            # with, and pytest-django sets it up before this block adds the replica.
            connections[REPLICA].connect()
            yield connections[REPLICA]
        finally:
            if hasattr(connections._connections, REPLICA):
                connections[REPLICA].close()
                del connections[REPLICA]
            del connections.settings[REPLICA]


@contextmanager
def captured():
    """(primary's queries, replica's queries) of the block, as lists of SQL texts. Copied at the end: the next
    request (request_started) empties every connection's query log."""
    primary, replica = [], []
    with CaptureQueriesContext(connection) as on_primary, CaptureQueriesContext(connections[REPLICA]) as on_replica:
        yield primary, replica
    primary.extend(q["sql"] for q in on_primary.captured_queries)
    replica.extend(q["sql"] for q in on_replica.captured_queries)


def sql(queries: list[str]) -> str:
    return "\n".join(queries)


def touching(queries: list[str], table: str) -> int:
    return sum(table in q for q in queries)


# --- without a replica: nothing changes ----------------------------------------------------------------------


def test_the_router_is_installed_and_without_a_replica_routes_nothing():
    assert settings.DATABASE_ROUTERS == ["config.db_router.ReplicaRouter"]
    with databases_setting({DEFAULT_DB_ALIAS: settings.DATABASES[DEFAULT_DB_ALIAS]}):
        for block in (nullcontext(), reporting_reads()):
            with block:
                assert router.db_for_read(JournalLine) is None
                assert router.db_for_write(JournalLine) is None
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "core") is True
    assert router.allow_migrate(REPLICA, "core") is False  # a hot standby replays the primary's WAL


def _settings_databases(**env: str) -> dict:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({k: {'ENGINE': v['ENGINE'], 'NAME': str(v['NAME']), 'HOST': v.get('HOST', ''), "
        "'MIRROR': v.get('TEST', {}).get('MIRROR'), 'OPTIONS': v.get('OPTIONS', {}), "
        "'NO_SERVER_CURSORS': v['DISABLE_SERVER_SIDE_CURSORS']} "
        "for k, v in settings.DATABASES.items()}))"
    )
    result = subprocess.run(  # noqa: S603  (our own interpreter, fixed code)
        [sys.executable, "-c", code],
        env={**keep, "DJANGO_SETTINGS_MODULE": "config.settings.base", **env},
        capture_output=True, text=True, check=True, cwd=settings.BASE_DIR,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_configure_the_replica_only_from_database_replica_url():
    primary = "postgresql://yibao_app:x@db-primary:5432/yibao"
    assert list(_settings_databases(DATABASE_URL=primary)) == [DEFAULT_DB_ALIAS]

    both = _settings_databases(DATABASE_URL=primary, DATABASE_REPLICA_URL="postgresql://yibao_app:x@db-replica/yibao")
    assert both[REPLICA] == {
        "ENGINE": "django.db.backends.postgresql", "NAME": "yibao", "HOST": "db-replica", "MIRROR": "default",
        "OPTIONS": {}, "NO_SERVER_CURSORS": False,
    }  # fmt: skip
    assert both[DEFAULT_DB_ALIAS]["HOST"] == "db-primary" and both[DEFAULT_DB_ALIAS]["MIRROR"] is None

    # Behind PgBouncer in transaction mode, both connections without server-side cursors (docs/operations.md).
    pooled = _settings_databases(
        DATABASE_URL=primary, DATABASE_REPLICA_URL="postgresql://u:x@db-replica/yibao",
        DATABASE_DISABLE_SERVER_SIDE_CURSORS="1",
    )  # fmt: skip
    assert [db["NO_SERVER_CURSORS"] for db in pooled.values()] == [True, True]

    # The same options as the primary's: an embedded SQLite replica gets the WAL and busy-timeout settings.
    sqlite = _settings_databases(DATABASE_REPLICA_URL="sqlite:////tmp/h14e-replica.sqlite3")
    assert sqlite[REPLICA]["OPTIONS"] == sqlite[DEFAULT_DB_ALIAS]["OPTIONS"]
    assert sqlite[REPLICA]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


# --- the router's decisions, with a replica configured (no query needed) -------------------------------------


@pytest.fixture
def replica_settings():
    with databases_setting(_databases_with_replica()):
        yield


def test_reads_go_to_the_replica_only_inside_reporting_reads(replica_settings):
    assert router.db_for_read(JournalLine) == DEFAULT_DB_ALIAS
    with reporting_reads():
        assert router.db_for_read(JournalLine) == REPLICA
        assert router.db_for_read(Settlement) == REPLICA
    assert router.db_for_read(JournalLine) == DEFAULT_DB_ALIAS

    @reporting_reads()
    def report():
        return router.db_for_read(JournalLine)

    assert report() == REPLICA
    assert router.db_for_read(JournalLine) == DEFAULT_DB_ALIAS


def test_a_write_pins_the_rest_of_the_block_to_the_primary(replica_settings):
    with reporting_reads():
        assert router.db_for_read(FundRiskRule) == REPLICA
        assert router.db_for_write(FundRiskRule) == DEFAULT_DB_ALIAS
        assert router.db_for_read(FundRiskRule) == DEFAULT_DB_ALIAS  # reads its own write
        with reporting_reads():  # a nested block shares the outer one's state
            assert router.db_for_read(FundRiskRule) == DEFAULT_DB_ALIAS
    with reporting_reads():  # a new block starts clean
        assert router.db_for_read(FundRiskRule) == REPLICA


def test_writes_of_objects_read_from_the_replica_go_to_the_primary(replica_settings):
    rule = FundRiskRule()
    rule._state.db = REPLICA
    assert router.db_for_write(FundRiskRule, instance=rule) == DEFAULT_DB_ALIAS
    assert router.db_for_read(FundRiskRule, instance=rule) == DEFAULT_DB_ALIAS  # its relations, after the block
    other = FundRiskRule()
    other._state.db = DEFAULT_DB_ALIAS
    assert router.allow_relation(rule, other) is True
    stranger = FundRiskRule()
    stranger._state.db = "elsewhere"
    assert router.allow_relation(rule, stranger) is None


def test_the_mark_is_per_thread(replica_settings):
    seen = []
    with reporting_reads():
        worker = threading.Thread(target=lambda: seen.append(router.db_for_read(JournalLine)))
        worker.start()
        worker.join()
        assert router.db_for_read(JournalLine) == REPLICA
    # core.parallel's worker threads (batch statements) start without the mark: the primary.
    assert seen == [DEFAULT_DB_ALIAS]


# --- real queries on a mirrored replica connection -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_querysets_inside_the_block_run_on_the_replica_connection(districts):
    with replica_configured():
        with captured() as (primary, replica), reporting_reads():
            assert District.objects.count() == len(districts) > 0
        assert "core_district" in sql(replica) and "core_district" not in sql(primary)

        # Outside the block: the primary.
        with captured() as (primary, replica):
            assert District.objects.count() == len(districts)
        assert "core_district" in sql(primary) and replica == []


@pytest.mark.django_db(transaction=True)
def test_reads_in_a_transaction_or_after_a_write_or_for_update_use_the_primary(districts):
    with replica_configured():
        with captured() as (primary, replica), reporting_reads(), transaction.atomic():
            assert District.objects.filter(code="500103").count() == 1
            assert JobRun.objects.select_for_update().filter(pk=0).count() == 0
        assert replica == []
        assert "core_district" in sql(primary) and "core_jobrun" in sql(primary)

        with captured() as (primary, replica), reporting_reads():
            assert FundRiskRule.objects.count() >= 0  # before any write: the replica
            FundRiskRule.objects.create(kind=FundRiskRule.Kind.MONTHS_BELOW, threshold=2, level="red", note="测试")
            assert FundRiskRule.objects.filter(note="测试").count() == 1  # its own write: the primary
        assert touching(replica, "audit_fundriskrule") == 1
        assert touching(primary, "audit_fundriskrule") == 2 and sql(primary).startswith("INSERT INTO")


@pytest.mark.django_db(transaction=True)
def test_the_fund_books_read_from_the_replica_and_show_the_same_figures(
    districts, hospital_yz, institution_user, policy_2023, settings, auditor, client_for
):
    reseed()  # what `migrate` seeds (standards, aid policy): an earlier transactional test emptied the tables
    settings.YIBAO_CRITICAL_FINANCING = CRITICAL
    CoverageWindow.objects.filter(year=2023).delete()
    build_scenario(districts, hospital_yz, institution_user)
    api = staff_client(auditor)
    before_api = api.get(FUND_API, {"year": 2023}).json()
    before_page = client_for(auditor).get(FUND_PAGE, {"year": 2023})

    with replica_configured():
        with captured() as (primary, replica):
            after_api = api.get(FUND_API, {"year": 2023}).json()
        after_page = client_for(auditor).get(FUND_PAGE, {"year": 2023})

    assert after_api == before_api
    resident = next(b for b in after_api["funds"] if b["fund"] == "resident_pooled")
    # The same figures tests/test_fund_dashboard.py works out by hand.
    assert (resident["opening_balance"], resident["income_total"], resident["expense_total"]) == (
        "6000.00", "4507.34", "7112.00",
    )  # fmt: skip
    assert after_page.status_code == before_page.status_code == 200
    assert after_page.context["books"] == before_page.context["books"]
    assert after_page.context["indicators"] == before_page.context["indicators"]
    assert 'data-testid="closing-resident_pooled">3,395.34 元<' in after_page.content.decode()
    # The books' GROUP BYs, the budget, the risk rules and the indicators came from the replica ...
    for table in ("core_journalline", "audit_fundbudget", "audit_fundriskrule", "benefits_settlement"):
        assert table in sql(replica), table
        assert table not in sql(primary), table
    # ... the session, the user and the form's district list from the primary.
    assert "django_session" in sql(primary) and "django_session" not in sql(replica)


@pytest.mark.django_db(transaction=True)
def test_the_remote_care_indicators_read_from_the_replica(districts, auditor, client_for):
    before = remote_indicators(fetched_by=auditor, year=2023)
    with replica_configured(), captured() as (primary, replica):
        after = remote_indicators(fetched_by=auditor, year=2023)
        page = client_for(auditor).get(REMOTE_PAGE, {"year": 2023})
    assert after == before
    assert page.status_code == 200
    for table in ("benefits_remotecarefiling", "benefits_settlement", "benefits_inboundsettlement"):
        assert table in sql(replica) and table not in sql(primary), table


@pytest.mark.django_db(transaction=True)
def test_a_reconciliation_reads_the_primary_even_with_a_replica(districts, auditor):
    """A replica lags: `fund_books reconcile` compares the books with the records as the primary holds them."""
    with replica_configured():
        with captured() as (primary, replica):
            assert books_reconcile(year=2023) == []
        assert "core_journalline" in sql(primary) and replica == []
        with captured() as (primary, replica):
            fund_books(fetched_by=auditor, year=2023)
        assert "core_journalline" in sql(replica) and "core_journalline" not in sql(primary)
