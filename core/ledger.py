"""Posting to the fund books, and checking them against the records they summarise.

A *posting rule* per source (payments, bills, settlements, credits...) says which lines a set of source
records makes: `rows(**scope)` returns the lines already summed by GROUP BY in the database, keyed by
(fund, account, district, year, accounting date). Each app that moves money registers its rules in its
`AppConfig.ready()`; the floor knows no app above it. One rule serves three uses, so they cannot drift:

* a single event (a counter payment, a settlement, a reversal) posts the rule's lines for its own record
  in its own transaction (`event_post`);
* a batch (annual collection, account credits, an import chunk) posts the rule's lines for the records it
  just wrote, summed per district and date, in the same transaction (`records_post`);
* `books_reconcile` compares the books with the rules run over every record, and `books_backfill` posts
  whatever difference there is (records from before the books, or left by a killed run): idempotent.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from .ledger_chart import BANK
from .models import AuditEvent, District, User
from .models.ledger import Fund, JournalEntry, JournalLine, LedgerAccount
from .money import to_fen
from .plans import no_nested_loops
from .services import acting_user, audit_event_record

ZERO = Decimal("0.00")
Source = JournalEntry.Source


class Row(NamedTuple):
    """One summed line a rule makes (debit positive, credit negative)."""

    fund: str
    account: str
    district_id: int | None
    year: int
    accounting_date: dt.date
    amount: Decimal


Key = tuple[str, str, int | None, int, dt.date]


@dataclass(frozen=True)
class PostingRule:
    """`rows(year=None, district_id=None, **filters)` sums the lines of the source's records in scope;
    `filters` are ORM lookups on the source model (e.g. pk__in) for a single event or a batch."""

    source: str
    rows: Callable[..., Iterable[Row]]


RULES: dict[str, PostingRule] = {}


def register_posting_rules(*rules: PostingRule) -> None:
    for rule in rules:
        known = RULES.get(rule.source)
        if known is not None and known.rows is not rule.rows:
            raise ImproperlyConfigured(f"posting rule {rule.source!r} registered twice")
        RULES[rule.source] = rule


def rule_scope(
    qs: QuerySet,
    *,
    year: int | None,
    district_id: int | None,
    year_field: str = "year",
    district_field: str = "district_id",
    **filters: Any,
) -> QuerySet:
    """A rule's records in scope: of one year and one district when given, narrowed by ORM `filters` (a
    single event's pk, a batch's rows)."""
    if year is not None:
        qs = qs.filter(**{year_field: year})
    if district_id is not None:
        qs = qs.filter(**{district_field: district_id})
    return qs.filter(**filters) if filters else qs


def transfer(
    *, fund: str, debit: str, credit: str, amount: Decimal, district_id: int | None, year: int, on: dt.date
) -> list[Row]:
    """Two lines of one fund: `amount` debited to one account and credited to another."""
    if not amount:
        return []
    return [
        Row(fund, debit, district_id, year, on, amount),
        Row(fund, credit, district_id, year, on, -amount),
    ]


def spend(*, fund: str, expense: str, **kwargs: Any) -> list[Row]:
    """An expense paid from the fund's bank account."""
    return transfer(fund=fund, debit=expense, credit=BANK, **kwargs)


def receive(*, fund: str, income: str, **kwargs: Any) -> list[Row]:
    """An income received into the fund's bank account."""
    return transfer(fund=fund, debit=BANK, credit=income, **kwargs)


def _accounts() -> dict[tuple[str, str], int]:
    return {(fund, code): pk for pk, fund, code in LedgerAccount.objects.values_list("pk", "fund__code", "code")}


def _summed(rows: Iterable[Row]) -> dict[Key, Decimal]:
    sums: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        sums[(r.fund, r.account, r.district_id, r.year, r.accounting_date)] += r.amount
    return {k: v for k, v in sums.items() if v}


def _check_balanced(sums: dict[Key, Decimal]) -> None:
    """Python's check before the database's: each fund's and district's lines of a date sum to zero."""
    totals: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for (fund, _account, district_id, year, on), amount in sums.items():
        totals[(fund, district_id, year, on)] += amount
    unbalanced = {k: v for k, v in totals.items() if v}
    if unbalanced:
        raise ValueError(f"unbalanced posting: {unbalanced}")


def _write(
    *,
    source: str,
    sums: dict[Key, Decimal],
    source_id: int | None = None,
    memo: str = "",
    actor: User | None = None,
    job_run_id: int | None = None,
    reverses: JournalEntry | None = None,
) -> list[JournalEntry]:
    """One entry per (year, accounting date), with its lines, in bulk."""
    if not sums:
        return []
    _check_balanced(sums)
    accounts = _accounts()
    # A single event is one entry (its source_id is unique), even when its lines span two districts (a
    # relative's account under 家庭共济). A batch's summary is one entry per year, day and district: small
    # entries keep the database's balance check (run per line at commit) cheap.
    groups: dict[tuple, list[tuple[Key, Decimal]]] = defaultdict(list)
    for key, amount in sums.items():
        groups[(key[3], key[4], None if source_id else key[2])].append((key, amount))
    entries = JournalEntry.objects.bulk_create(
        [
            JournalEntry(
                source=source,
                source_id=source_id,
                year=year,
                accounting_date=on,
                memo=memo[:200],
                job_run_id=job_run_id,
                reverses=reverses,
                created_by=acting_user(actor),
            )
            for year, on, _district in groups
        ]
    )
    lines = []
    for entry, (_group, items) in zip(entries, groups.items(), strict=True):
        for (fund, account, district_id, year, on), amount in items:
            try:
                account_id = accounts[(fund, account)]
            except KeyError:
                raise ImproperlyConfigured(f"no ledger account {fund}.{account}: run migrate") from None
            lines.append(
                JournalLine(
                    entry=entry,
                    account_id=account_id,
                    district_id=district_id,
                    amount=amount,
                    source=source,
                    year=year,
                    accounting_date=on,
                )
            )
    JournalLine.objects.bulk_create(lines, batch_size=5000)
    return entries


def _rule(source: str) -> PostingRule:
    try:
        return RULES[source]
    except KeyError:
        raise ImproperlyConfigured(f"no posting rule for {source!r}") from None


# A reversal's source -> the source of the entry it reverses (same record id).
REVERSED_SOURCE = {Source.REVERSAL: Source.SETTLEMENT, Source.REMOTE_INBOUND_REVERSAL: Source.REMOTE_INBOUND}


def event_post(*, source: str, record_id: int, actor: User | None = None, memo: str = "") -> list[JournalEntry]:
    """Post one event's lines, in the caller's transaction (the event and its entry commit together).
    The unique (source, source_id) refuses a second posting of the same event."""
    sums = _summed(_rule(source).rows(pk__in=[record_id]))
    reverses = None
    if source in REVERSED_SOURCE:  # a reversal names its record's own entry
        reverses = JournalEntry.objects.filter(source=REVERSED_SOURCE[source], source_id=record_id).first()
    return _write(source=source, sums=sums, source_id=record_id, memo=memo, actor=actor, reverses=reverses)


def records_post(
    *, source: str, memo: str, job_run_id: int | None = None, actor: User | None = None, **filters: Any
) -> int:
    """Post a batch's summary: the rule's lines for the records `filters` select, summed per district and
    date (the detail stays in the records). Call it in the transaction that wrote the records."""
    sums = _summed(_rule(source).rows(**filters))
    return len(_write(source=source, sums=sums, memo=memo, actor=actor, job_run_id=job_run_id))


def posted_rows(*, source: str, year: int | None = None, district_id: int | None = None) -> Iterable[Row]:
    lines = rule_scope(JournalLine.objects.filter(source=source), year=year, district_id=district_id)
    grouped = (
        lines.values("account__fund__code", "account__code", "district_id", "year", "accounting_date")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for g in grouped:
        yield Row(
            g["account__fund__code"], g["account__code"], g["district_id"], g["year"], g["accounting_date"],
            g["total"] or ZERO,
        )  # fmt: skip


def _sides(*, source: str, year: int | None, district_id: int | None) -> tuple[dict[Key, Decimal], dict[Key, Decimal]]:
    """(what the records make, what the books hold) for one source, per fund, account, district, year and day.

    Both sides read whole years of records: joins hashed, whatever the statistics say (an account-credit
    ledger analysed while empty made the nested loop read every account once per credit)."""
    with no_nested_loops():
        expected = _summed(_rule(source).rows(year=year, district_id=district_id))
        return expected, _summed(posted_rows(source=source, year=year, district_id=district_id))


def _differences(*, source: str, year: int | None, district_id: int | None) -> dict[Key, Decimal]:
    expected, posted = _sides(source=source, year=year, district_id=district_id)
    differences = {k: expected.get(k, ZERO) - posted.get(k, ZERO) for k in expected.keys() | posted.keys()}
    return {k: v for k, v in differences.items() if v}


class Difference(NamedTuple):
    source: str
    fund: str
    account: str
    district_id: int | None
    year: int
    books: Decimal
    records: Decimal


def books_reconcile(*, year: int | None = None, district_id: int | None = None) -> list[Difference]:
    """Every rule's lines over all its records against what the books hold, per source, fund, account,
    district and year. An empty list means the books agree with the records to the fen."""
    found = []
    for source in RULES:
        expected: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        posted: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        records, books = _sides(source=source, year=year, district_id=district_id)
        for into, sums in ((expected, records), (posted, books)):
            for (fund, account, district, line_year, _on), amount in sums.items():
                into[(fund, account, district, line_year)] += amount
        for key in sorted(expected.keys() | posted.keys(), key=str):
            if expected[key] != posted[key]:
                found.append(Difference(source, *key, books=posted[key], records=expected[key]))
    return found


_BACKFILL_LOCK = 0x59424B  # "YBK": one backfill at a time


def books_backfill(
    *, actor: User | None = None, year: int | None = None, job_run_id: int | None = None
) -> dict[str, int]:
    """Post every difference between the records and the books, per source, dated as the records are.
    Idempotent: a second run finds no difference. On PostgreSQL it reads both sides from one snapshot
    (REPEATABLE READ), so an event that commits meanwhile is either wholly seen (record and its entry)
    or not at all, and two backfills take turns."""
    counts: dict[str, int] = {}
    postgres = connection.vendor == "postgresql"
    outermost = not connection.in_atomic_block
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_BACKFILL_LOCK])
    try:
        for source in list(RULES):
            with transaction.atomic():
                if postgres and outermost:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                diff = _differences(source=source, year=year, district_id=None)
                entries = _write(
                    source=source, sums=diff, memo="补记：账簿与明细记录的差额", actor=actor, job_run_id=job_run_id
                )
                counts[source] = len(entries)
        with transaction.atomic():
            audit_event_record(
                actor=actor,
                action=AuditEvent.Action.JOB,
                object_type="core.journalentry",
                object_repr="基金账簿补记",
                new_values={"year": year, **counts},
            )
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_BACKFILL_LOCK])
    return counts


def manual_entry_post(
    *,
    actor: User | None,
    fund: Fund,
    account: LedgerAccount,
    district: District | None,
    year: int,
    accounting_date: dt.date,
    amount: Decimal,
    reason: str,
) -> JournalEntry:
    """手工记账 (interest, other income or expense, the opening balance, the aid fund's fiscal allocation):
    one line on `account`, its counterpart on the fund's bank account. Only lines marked manual."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写记账事由"})
    if account.fund_id != fund.pk or not account.manual:
        raise ValidationError({"account": "该科目不能手工记账"})
    # To the fen first: the line and the audit trail hold the same 293000.00, and 0.004 is not above zero.
    amount = to_fen(amount) if amount is not None else None
    if not amount or amount <= 0:
        raise ValidationError({"amount": "金额须大于0"})
    # Income and the opening balance are credits (money in); an expense is a debit (money out).
    sign = 1 if account.kind == LedgerAccount.Kind.EXPENSE else -1
    district_id = district.pk if district else None
    rows = transfer(
        fund=fund.code, debit=account.code, credit=BANK, amount=sign * amount, district_id=district_id, year=year,
        on=accounting_date,
    )  # fmt: skip
    with transaction.atomic():
        (entry,) = _write(source=Source.MANUAL, sums=_summed(rows), memo=reason, actor=actor)
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=entry,
            district_id=district_id,
            new_values={
                "fund": fund.name, "account": account.name, "amount": str(amount), "year": year,
                "accounting_date": str(accounting_date), "reason": reason,
            },
        )  # fmt: skip
    return entry


def manual_entry_reverse(*, actor: User | None, entry: JournalEntry, reason: str) -> JournalEntry:
    """冲销 a manual entry posted in error: a new entry with every line negated, dated today, naming the
    original. The original stays (append-only); an entry is reversed once."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写冲销原因"})
    if entry.source != Source.MANUAL or entry.reverses_id is not None:
        raise ValidationError({"entry": "只能冲销手工记账凭证"})
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise ValidationError({"entry": "该凭证已冲销"})
    try:
        reversal = _reverse(actor=actor, entry=entry, reason=reason)
    except IntegrityError:  # a second reversal racing the first: the unique "reverses" refuses it
        raise ValidationError({"entry": "该凭证已冲销"}) from None
    return reversal


@transaction.atomic
def _reverse(*, actor: User | None, entry: JournalEntry, reason: str) -> JournalEntry:
    today = timezone.localdate()
    sums = {
        (line.account.fund.code, line.account.code, line.district_id, entry.year, today): -line.amount
        for line in entry.lines.select_related("account__fund")
    }
    (reversal,) = _write(source=Source.MANUAL, sums=sums, memo=f"冲销第{entry.pk}号凭证：{reason}", actor=actor,
                         reverses=entry)  # fmt: skip
    audit_event_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=reversal,
        new_values={"reverses": entry.pk, "reason": reason},
    )  # fmt: skip
    return reversal
