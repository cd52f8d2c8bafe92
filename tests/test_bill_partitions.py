"""Bills partitioned by coverage year, the year built like a warehouse load (issue 14 point 1).

Issue 14: "Annual collection builds the year's partition as a fresh table without indexes or foreign keys,
loads it set-based (subsidies included), builds the indexes, adds the foreign keys NOT VALID and validates
them, adds the CHECK that lets ATTACH skip its scan, and attaches it. Idempotent: a complete year is a no-op;
a killed run leaves no half-attached partition, and the next run finishes or redoes it. Single bills (window
issuance, late enrollees) insert as usual into the attached partition."

PostgreSQL only: SQLite (the embedded demo) keeps one plain bill table, covered by the collection's own tests.
"""

import datetime as dt
import importlib
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.db import connection

from assistance.models import AidRecipient
from contributions import collection
from contributions.collection import BILL_TABLE, contribution_bills_issue
from contributions.models import ContributionBill
from contributions.services import contribution_bill_issue, payment_record
from core.ledger import books_reconcile
from core.models import JournalLine
from tests.factories import ResidentEnrollmentFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]
PART = f"{BILL_TABLE}_y2023"


@pytest.fixture
def aid_policy_2023(db):
    importlib.import_module("assistance.migrations.0003_seed_aid_policy_2023").seed(apps, None)


def _one(sql: str, params=()):
    with connection.cursor() as c:
        c.execute(sql, params)
        return c.fetchone()


def _partitions() -> dict[str, str]:
    with connection.cursor() as c:
        c.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [BILL_TABLE],
        )
        return dict(c.fetchall())


def test_the_bill_table_is_partitioned_by_coverage_year_with_the_year_in_its_key():
    assert _one("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [BILL_TABLE]) == ("p",)
    assert _one("SELECT pg_get_partkeydef(%s::regclass)", [BILL_TABLE]) == ("LIST (coverage_year)",)
    key = _one(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
        [BILL_TABLE],
    )
    assert key == ("PRIMARY KEY (id, coverage_year)",)
    assert _partitions() == {f"{BILL_TABLE}_default": "DEFAULT"}


def test_the_collection_builds_loads_validates_and_attaches_the_year(standards_2023, aid_policy_2023, districts):
    residents = [ResidentEnrollmentFactory(tier=1 + i % 2) for i in range(6)]
    AidRecipient.objects.create(person=residents[0].person, category="destitute", valid_from=dt.date(2022, 1, 1),
                                source="civil_affairs", district_id=residents[0].district_id)  # fmt: skip
    stages = []
    real_build = collection.year_partition_build

    def build(**kwargs):
        return real_build(**kwargs, progress=stages.append)

    collection.year_partition_build, saved = build, collection.year_partition_build
    try:
        assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 6}
    finally:
        collection.year_partition_build = saved
    assert stages == ["load", "attach", "finish", "done"]
    assert _partitions()[PART] == "FOR VALUES IN ('2023')"
    # Every index and key of the parent has its twin on the partition (built before ATTACH, not by it), the
    # keys are validated, and the year's CHECK that let ATTACH skip its scan is gone again.
    parent_indexes = _one("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [BILL_TABLE])[0]
    attached = _one(
        "SELECT count(*) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass",
        [PART],
    )[0]
    assert parent_indexes == attached == 4  # key, unique (person, year), scope, enrollment
    keys = _one(
        "SELECT count(*), bool_and(convalidated), count(*) FILTER (WHERE contype = 'c' AND conname LIKE '%%_year') "
        "FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('f', 'c')",
        [PART],
    )
    assert keys[0] >= 3 and keys[1] is True and keys[2] == 0
    bills = {b.person_id: b for b in ContributionBill.objects.filter(coverage_year=2023)}
    assert set(bills) == {e.person_id for e in residents}
    assert bills[residents[0].person_id].subsidy_amount == D("350.00")
    assert _one(f"SELECT count(*) FROM {PART}") == (6,)
    assert JournalLine.objects.filter(source="fiscal_subsidy").exists() and books_reconcile(year=2023) == []
    # A complete year is a no-op: nothing built again, nothing added.
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 0}
    assert ContributionBill.objects.count() == 6


def test_a_bill_issued_before_the_collection_waits_in_the_default_partition_then_moves_with_its_id(
    standards_2023, districts
):
    early, later = ResidentEnrollmentFactory(), ResidentEnrollmentFactory()
    single = contribution_bill_issue(actor=None, enrollment=early, coverage_year=2023)
    payment_record(actor=None, bill=single, amount="100.00", paid_on=dt.date(2023, 1, 5), reference="W-1",
                   channel="counter")  # fmt: skip
    assert _one(f"SELECT count(*) FROM {BILL_TABLE}_default") == (1,)

    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 1}  # only `later`
    assert _one(f"SELECT count(*) FROM {BILL_TABLE}_default") == (0,)
    assert _one(f"SELECT id, person_id FROM {PART} WHERE person_id = %s", [early.person_id]) == (
        single.pk,
        early.person_id,
    )
    moved = ContributionBill.objects.get(pk=single.pk)
    assert moved.paid_amount == D("100.00") and moved.payments.get().reference == "W-1"
    assert ContributionBill.objects.filter(person_id=later.person_id, coverage_year=2023).count() == 1
    # A late enrollee's bill now goes straight into the attached year.
    late = ResidentEnrollmentFactory()
    bill = contribution_bill_issue(actor=None, enrollment=late, coverage_year=2023)
    assert _one(f"SELECT count(*) FROM {PART} WHERE id = %s", [bill.pk]) == (1,)


def _killed_while_posting(**kwargs):
    """The worker dies after the load, in the attach transaction's last step."""
    raise SystemError("worker killed while posting")


def test_a_build_killed_before_it_attached_leaves_nothing_and_the_next_run_builds_the_year(
    standards_2023, aid_policy_2023, districts, monkeypatch
):
    residents = [ResidentEnrollmentFactory() for _ in range(4)]
    waiting = contribution_bill_issue(actor=None, enrollment=residents[0], coverage_year=2023)

    monkeypatch.setattr(collection, "_post_batch", _killed_while_posting)
    with pytest.raises(SystemError):
        contribution_bills_issue(actor=None, coverage_year=2023)
    assert _one("SELECT to_regclass(%s)", [PART]) == (None,)  # no table, attached or not
    assert list(ContributionBill.objects.values_list("pk", flat=True)) == [waiting.pk]  # back in the default
    assert PART not in _partitions()

    monkeypatch.undo()
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 3}
    assert sorted(ContributionBill.objects.values_list("person_id", flat=True)) == sorted(
        e.person_id for e in residents
    )
    assert books_reconcile(year=2023) == []


def test_a_district_run_builds_its_part_and_the_rest_follows_in_chunks(standards_2023, districts, clerk_yuzhong):
    yz, jb = districts["500103"], districts["500105"]
    mine = [ResidentEnrollmentFactory(person__district=yz) for _ in range(2)]
    theirs = ResidentEnrollmentFactory(person__district=jb)
    assert contribution_bills_issue(actor=clerk_yuzhong, coverage_year=2023, district_id=yz.pk) == {"created": 2}
    assert set(ContributionBill.objects.values_list("person_id", flat=True)) == {e.person_id for e in mine}
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 1}  # the attached year, chunked
    assert ContributionBill.objects.filter(person_id=theirs.person_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_loads_side_by_side_then_a_kill_before_attaching_leaves_only_an_unattached_table_the_next_run_redoes(
    standards_2023, districts, settings, monkeypatch, owner_db
):
    """With two workers the year loads in two id ranges on two connections, each committed into the still
    unattached table; everything after (move, keys, attach, postings) is one transaction. Killed there, the
    loaded table stays unattached (no bill of it is visible), the waiting bill stays in the default
    partition, and the next run drops the table and builds the year again."""
    drop = f"DROP TABLE IF EXISTS {PART}"  # the partition is the schema owner's
    with owner_db.cursor() as c:
        c.execute(drop)  # another transactional test's year, if it left one
    settings.YIBAO_BATCH_WORKERS = 2
    residents = [ResidentEnrollmentFactory() for _ in range(5)]
    waiting = contribution_bill_issue(actor=None, enrollment=residents[2], coverage_year=2023)

    monkeypatch.setattr(collection, "_post_batch", _killed_while_posting)
    with pytest.raises(SystemError):
        contribution_bills_issue(actor=None, coverage_year=2023)
    assert _one(f"SELECT count(*) FROM {PART}") == (4,)  # both ranges loaded and committed ...
    assert PART not in _partitions()  # ... but never attached
    assert list(ContributionBill.objects.values_list("pk", flat=True)) == [waiting.pk]

    monkeypatch.undo()
    settings.YIBAO_BATCH_WORKERS = 2
    assert contribution_bills_issue(actor=None, coverage_year=2023) == {"created": 4}
    assert _partitions()[PART] == "FOR VALUES IN ('2023')"
    assert sorted(ContributionBill.objects.values_list("person_id", flat=True)) == sorted(
        e.person_id for e in residents
    )
    assert ContributionBill.objects.get(person_id=residents[2].person_id).pk == waiting.pk
    assert books_reconcile(year=2023) == []
    # the transactional test's flush empties tables, not the partition list: the next test builds 2023 again
    with owner_db.cursor() as c:
        c.execute(drop)
