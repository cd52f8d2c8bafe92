"""Batch plans that do not depend on luck (issue 14 point 4): the monthly 个人账户划入 keeps the same shape of plan
and the same numbers when the tables were ANALYZEd while still empty, as a new city's database is after a
routine `vacuumdb --analyze`.

Issue 14: "Plans that do not depend on luck: every batch (import apply, collection, account credits, rollover,
scans) keeps its speed whatever the statistics say". The speed is bench/bench_account_credits.py's to measure;
here the plan's shape is checked with EXPLAIN of the statement text the job runs, and the outcome to the fen.
"""

import datetime as dt
import json

import pytest
from django.db import connection, transaction

from benefits.models import AccountEntry, PersonalAccount
from benefits.services import account_credits_post
from benefits.services import accounts as credit_service
from contributions.collection import issue_statement
from core.ledger import books_reconcile
from core.models import JournalLine
from core.plans import key_lookups, no_nested_loops
from tests.benefits_support import D, employee, resident, unpaid_bill
from tests.plan_support import analyze_held
from yearend.jobs import residents_unpaid_for

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")

LEDGER = "benefits_accountentry"
TABLES = ("enrollment_person", "enrollment_enrollment", "benefits_personalaccount", LEDGER)
# Enough rows that the old NOT EXISTS got its bad plan here (a nested loop over a materialised scan of the
# month's credits, the plan that ran for minutes at 200k employees); at 3,000 it still probed per account.
BULK = 20_000


def _analyze_while_empty() -> None:
    assert not PersonalAccount.objects.exists() and not AccountEntry.objects.exists()
    with connection.cursor() as c:
        analyze_held(*TABLES)
        c.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [LEDGER])
        assert c.fetchone()[0] == 0  # the statistics say: an empty ledger


def _analyze_what_the_job_reads() -> None:
    """Fresh statistics for the enrollments and accounts, the ledger's still those of an empty table: a new
    city's first month, in which the job writes the ledger it reads (the bench's month 1 at 200k)."""
    analyze_held("enrollment_person", "enrollment_enrollment", "benefits_personalaccount")


def _bulk_employees(district_id: int, count: int) -> None:
    """`count` employees with a base of 5000.00 (2%: 100.00 a month), one in four retired (70.00 fixed)."""
    with connection.cursor() as c:
        c.execute(
            """
            WITH p AS (
                INSERT INTO enrollment_person
                    (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
                SELECT '500103' || lpad(g::text, 12, '0'), '职工' || g, 'M', DATE '1970-01-01', '', %s, now(), now()
                FROM generate_series(1, %s) g
                RETURNING id, district_id
            )
            INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
                start_date, status, end_reason, created_at, updated_at)
            SELECT id, 'employee', CASE WHEN id %% 4 = 0 THEN 'retired' ELSE 'active' END, NULL, district_id,
                   5000, DATE '2022-01-01', 'active', '', now(), now()
            FROM p
            """,
            [district_id, count],
        )


def _plan(sql: str, params: dict) -> dict:
    with connection.cursor() as c:
        c.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        document = c.fetchone()[0]
    return (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]


def _nodes(node: dict, inside_loop: bool = False):
    """Every plan node with whether it runs once per row of something else (a nested loop's inner side)."""
    yield node, inside_loop
    for child in node.get("Plans", []):
        inner = node["Node Type"] == "Nested Loop" and child.get("Parent Relationship") == "Inner"
        yield from _nodes(child, inside_loop or inner)


def _due_params(period: int) -> dict:
    year, month = divmod(period, 100)
    return {"year": year, "period": period, "after": 0, "upto": 10**9, "district": None,
            "month_end": credit_service._month_end(period)}  # fmt: skip


@postgres_only
def test_two_months_on_empty_statistics_credit_everyone_once_and_agree_with_the_books(districts, policy_2023):
    _analyze_while_empty()
    _bulk_employees(districts["500103"].pk, BULK)
    flexible = employee(category="flexible", base="3000.25")  # 60.005 rounds half up to 60.01
    retirees = BULK // 4
    total = BULK + 1

    assert account_credits_post(actor=None, year=2023, month=1) == {"credited": total}
    assert account_credits_post(actor=None, year=2023, month=2) == {"credited": total}
    assert account_credits_post(actor=None, year=2023, month=2) == {"credited": 0}  # a re-run changes nothing

    # 渝府办发〔2022〕16号: actives 2% of their own base, retirees a fixed amount (policy_2023: 70.00).
    balances = dict(PersonalAccount.objects.values_list("person__id_number", "balance"))
    assert len(balances) == total
    assert sorted(set(balances.values())) == [D("120.02"), D("140.00"), D("200.00")]
    assert sum(1 for b in balances.values() if b == D("140.00")) == retirees
    assert PersonalAccount.objects.get(person=flexible).balance == D("120.02")
    assert AccountEntry.objects.filter(kind="credit", period=202301).count() == total
    assert AccountEntry.objects.filter(kind="credit", period=202302).count() == total
    with connection.cursor() as c:
        c.execute(
            """SELECT count(*) FROM benefits_personalaccount a
               WHERE a.balance <> (SELECT SUM(x.amount) FROM benefits_accountentry x WHERE x.account_id = a.id)"""
        )
        assert c.fetchone()[0] == 0
    credits = sum(balances.values())
    assert credits == (BULK - retirees) * D("200.00") + retirees * D("140.00") + D("120.02")
    income = JournalLine.objects.filter(entry__source="account_credit", account__code="account_credit_income")
    assert -sum(income.values_list("amount", flat=True)) == credits  # the income account's credit lines
    assert not [d for d in books_reconcile(year=2023) if d.source == "account_credit"]


@postgres_only
@pytest.mark.parametrize("readers", ["analysed while empty", "analysed when filled"])
def test_the_not_yet_credited_check_probes_the_unique_index_per_account_on_empty_statistics(
    districts, policy_2023, readers
):
    """The statement the job runs, EXPLAINed on an empty-analysed ledger holding a month of credits: the ledger
    is only ever read by a lookup of (account, month) in its unique credit index, never scanned, nor a
    materialised scan of the month's credits compared once per account (the plan the old NOT EXISTS got,
    which made month 1 at 200k employees run for minutes)."""
    _analyze_while_empty()
    _bulk_employees(districts["500103"].pk, BULK)
    account_credits_post(actor=None, year=2023, month=1)
    if readers == "analysed when filled":
        _analyze_what_the_job_reads()

    sql = credit_service._CREDIT_DUE_SQL.format(district="")
    for period in (202301, 202302):
        reads = [(n, loop) for n, loop in _nodes(_plan(sql, _due_params(period))) if n.get("Relation Name") == LEDGER]
        assert reads, "the statement reads the ledger"
        for node, _inside_loop in reads:
            assert node["Node Type"] in ("Index Scan", "Index Only Scan"), node["Node Type"]
            assert "account_id = a.id" in node["Index Cond"]  # bound per account, not the month's credits
            assert f"period = {period}" in node["Index Cond"] + node.get("Filter", "")
        accounts = [(n, loop) for n, loop in _nodes(_plan(sql, _due_params(period)))
                    if n.get("Relation Name") == "benefits_personalaccount"]  # fmt: skip
        assert accounts and all("person_id = e.person_id" in n.get("Index Cond", "") for n, _ in accounts)


@postgres_only
def test_the_chunk_moves_balances_without_nested_loops_and_leaves_the_planner_as_it_found_it(districts, policy_2023):
    """The balance update joins the chunk's credits to the accounts hashed or merged, linear in both, never a
    nested loop that believes an empty-analysed account table and rereads one side per row of the other; the
    setting that makes it so ends with the chunk, even when the caller holds a transaction open around it."""
    _analyze_while_empty()
    _bulk_employees(districts["500103"].pk, BULK)
    account_credits_post(actor=None, year=2023, month=1)
    params = {**_due_params(202302), "now": dt.datetime(2023, 3, 1, tzinfo=dt.UTC)}

    with transaction.atomic():
        with connection.cursor() as c:
            c.execute(credit_service._CREDIT_DUE_SQL.format(district=""), params)
            with no_nested_loops():
                plan = _plan(credit_service._CREDIT_SQL, params)
            c.execute("DROP TABLE account_credit_due")
        assert [n["Node Type"] for n, _ in _nodes(plan) if n["Node Type"] == "Nested Loop"] == []
        assert any(n.get("Relation Name") == "benefits_personalaccount" for n, _ in _nodes(plan))
        assert account_credits_post(actor=None, year=2023, month=2) == {"credited": BULK}
        with connection.cursor() as c:
            c.execute("SELECT current_setting('enable_nestloop')")
            assert c.fetchone()[0] == "on"


# --- annual collection and rollover ------------------------------------------------------------------------------


@postgres_only
def test_both_collection_statements_keep_their_plan_on_empty_statistics(districts, policy_2023):
    """annual_collection's two statements, EXPLAINed under the job's own planner settings on tables analysed
    while empty and then filled. The year's build (one statement over every enrollment into the fresh
    partition) hashes the year's aid records once; a chunk (once the partition exists) reads its enrollment
    id range and looks the aid records up per person. In neither is a table read whole once per row. (The
    chunk's "no bill yet" check is ON CONFLICT, the unique (person, year) index probed by the executor per
    row, so it is in no plan.)"""

    with connection.cursor() as c:
        analyze_held(
            "enrollment_person", "enrollment_enrollment", "assistance_aidrecipient", "contributions_contributionbill"
        )
        c.execute(
            """
            WITH p AS (
                INSERT INTO enrollment_person
                    (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
                SELECT '500103' || lpad(g::text, 12, '0'), '居民' || g, 'F', DATE '1980-01-01', '', %s, now(), now()
                FROM generate_series(1, %s) g
                RETURNING id, district_id
            ), e AS (
                INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, start_date, status,
                    end_reason, created_at, updated_at)
                SELECT id, 'resident', 'adult', 1 + id %% 2, district_id, DATE '2022-01-01', 'active', '', now(), now()
                FROM p
            )
            INSERT INTO assistance_aidrecipient (person_id, category, valid_from, source, district_id, created_at,
                updated_at)
            SELECT id, 'subsistence', DATE '2022-01-01', 'civil_affairs', district_id, now(), now()
            FROM p WHERE id %% 50 = 1
            """,
            [districts["500103"].pk, BULK],
        )
    now = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    big = {"enrollment_enrollment", "assistance_aidrecipient", "contributions_contributionbill"}

    def read_whole_per_row(nodes) -> list:
        # (the year's standards are a few rows of reference data: one page, read per row or hashed alike)
        def whole(n: dict) -> bool:
            return n["Node Type"] == "Materialize" or (n["Node Type"] == "Seq Scan" and n["Relation Name"] in big)

        return [n for n, inside in nodes if inside and whole(n)]

    sql, params = issue_statement(year=2023, now=now, scheme="resident", after=0)
    with transaction.atomic(), key_lookups():
        chunk = list(_nodes(_plan(sql, params)))
    assert read_whole_per_row(chunk) == []
    aid = [n for n, _ in chunk if n.get("Relation Name") == "assistance_aidrecipient"]
    assert aid and all("person_id" in n.get("Index Cond", "") for n in aid), aid

    sql, params = issue_statement(year=2023, now=now, scheme="resident", table="contributions_contributionbill_y2023")
    with transaction.atomic(), no_nested_loops(), connection.cursor() as c:
        # (a temporary table: the runtime role creates no tables; the plan is the same)
        c.execute("CREATE TEMP TABLE contributions_contributionbill_y2023 (LIKE contributions_contributionbill)")
        build = list(_nodes(_plan(sql, params)))
        c.execute("DROP TABLE contributions_contributionbill_y2023")
    assert read_whole_per_row(build) == []
    aid = [n for n, inside in build if n.get("Relation Name") == "assistance_aidrecipient"]
    assert len(aid) == 1 and not any(inside for n, inside in build if n.get("Relation Name") in big), build[0]


def test_the_year_end_count_of_residents_unpaid_for_next_year_needs_one_bill_both_for_it_and_paid(districts):
    """Yearend summary: "residents_unpaid_for_next_year" counts active residents without a PAID bill FOR the
    next year. Regression: the exclusion tested "has a bill for the year" and "has a paid bill" on any two
    bills, so a resident with an unpaid 2024 bill who had paid 2023 was counted as covered."""
    paid_2023_unpaid_2024 = resident(year=2023)
    unpaid_bill(paid_2023_unpaid_2024, year=2024)
    resident(year=2024)  # paid for 2024: covered
    resident(year=2023)  # no 2024 bill at all
    unpaid_only = resident(year=2023, paid=False)
    unpaid_bill(unpaid_only, year=2024)

    assert residents_unpaid_for(year=2024) == 3
    assert residents_unpaid_for(year=2023) == 2  # the 2024 payer and the one who never paid
