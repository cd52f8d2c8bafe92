"""年度缴费征收: the year's bills of every enrollment in scope, set-based.

On PostgreSQL the bill table is partitioned by coverage year. The first run of a year builds the year's
partition like a warehouse load (core.partitions): the whole scope in one INSERT..SELECT into a fresh table,
then its indexes, its keys checked set-based, attached, and the year's fund-book summaries posted, all in one
transaction. Once the year's partition exists (a later run, a district's run, late enrollees) the bills go in
id-range chunks into the attached table, each chunk committed with a checkpoint, side by side on a few
connections; running it again adds nothing. SQLite (the embedded demo) has no exact decimal arithmetic in SQL,
so there the amounts are computed in Python with Decimal, chunk by chunk.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from assistance.subsidies import SUBSIDY_HASHED_SQL, SUBSIDY_SQL
from core.chunks import id_chunks
from core.ledger import records_post
from core.models import AuditEvent, User
from core.parallel import batch_workers, run_side_by_side
from core.partitions import year_partition_build, year_partition_missing
from core.plans import key_lookups, no_nested_loops
from core.scope import require_edit_for_scope
from core.services import audit_event_record
from enrollment.models import Category

from .models import ContributionBill, ContributionStandard
from .postings import paid_on_for
from .selectors import coverage_window_for
from .services import (
    _subsidies,
    bill_amounts,
    bill_cover_from,
    bill_status,
    billable_enrollments,
    cover_period_start,
    coverage_year_bounds,
    subsidy_amount,
)

BILL_TABLE = ContributionBill._meta.db_table
# The build leaves out persons whose bill of the year waits in the default partition.
WAITING_SQL = (
    f"AND NOT EXISTS (SELECT 1 FROM {BILL_TABLE} b "  # noqa: S608
    "WHERE b.coverage_year = %(year)s AND b.person_id = e.person_id)"
)
# Enrollments per chunk once the year's partition exists: one short transaction each.
BILL_CHUNK = 20_000

# The year's bills of the enrollments in scope: {table} is the bill table (a chunk) or the year's fresh
# partition (the build), {subsidy} the 资助参保 join, {scope} the chunk's id range and filters, {conflict}
# what to do with a person already billed.
_ISSUE_SQL = """
INSERT INTO {table}
    (person_id, enrollment_id, district_id, coverage_year, scheme, due_amount, subsidy_amount, paid_amount,
     status, paid_on, cover_from, employer_due, fiscal_subsidy, created_at, updated_at)
SELECT e.person_id, e.id, e.district_id, %(year)s, e.scheme, due.amount, COALESCE(subsidy.amount, 0), 0,
       CASE WHEN due.amount - COALESCE(subsidy.amount, 0) <= 0 THEN 'paid' ELSE 'unpaid' END,
       CASE WHEN due.amount - COALESCE(subsidy.amount, 0) <= 0 THEN %(today)s::date END,
       CASE WHEN due.amount - COALESCE(subsidy.amount, 0) <= 0
            THEN CASE WHEN e.category = 'student' THEN %(student_start)s::date ELSE %(first_day)s::date END END,
       due.employer, due.fiscal, %(now)s, %(now)s
FROM enrollment_enrollment e
JOIN contributions_contributionstandard s
  ON s.year = %(year)s AND s.scheme = e.scheme AND s.category = e.category
 AND s.tier IS NOT DISTINCT FROM e.tier
CROSS JOIN LATERAL (
    SELECT CASE WHEN e.scheme = 'resident' THEN s.individual_amount
                ELSE ROUND(COALESCE(e.contribution_base, 0) * (s.employer_rate + s.individual_rate) * 12, 2)
           END AS amount,
           CASE WHEN e.scheme = 'resident' THEN 0
                ELSE ROUND(COALESCE(e.contribution_base, 0) * s.employer_rate * 12, 2) END AS employer,
           CASE WHEN e.scheme = 'resident' THEN s.fiscal_subsidy ELSE 0 END AS fiscal
) due
{subsidy}
WHERE e.status = 'active' AND e.start_date <= %(last_day)s AND (e.end_date IS NULL OR e.end_date >= %(first_day)s)
  {scope}
{conflict}
"""


def contribution_bills_issue(
    *,
    actor: User | None,
    coverage_year: int,
    district_id: int | None = None,
    scheme: str | None = None,
    resume_after: int | None = None,
    checkpoint: Callable[..., None] | None = None,
) -> dict[str, int]:
    """Bills for every enrollment of the year (`billable_enrollments`, the rule one person's bill follows
    too), or of one district or scheme; running it again adds nothing.

    `checkpoint(after=..., created=..., done=..., total=...)` is told after each committed step, so a job
    killed mid-way resumes at `resume_after` instead of walking the done chunks again (a killed build left
    nothing, so it starts again from the beginning)."""
    require_edit_for_scope(actor=actor, district_id=district_id)
    scope = {"year": coverage_year, "district_id": district_id, "scheme": scheme}
    if year_partition_missing(table=BILL_TABLE, year=coverage_year):
        created = _issue_year_built(**scope, actor=actor, checkpoint=checkpoint)
    else:
        created = None
    if created is None:
        created = _issue_in_chunks(**scope, actor=actor, resume_after=resume_after, checkpoint=checkpoint)
    with transaction.atomic():
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.JOB,
            object_type="contributions.contributionbill",
            object_repr=f"{coverage_year}年度缴费单",
            district_id=district_id,
            new_values={"coverage_year": coverage_year, "created": created, **({"scheme": scheme} if scheme else {})},
        )
    return {"created": created}


def _post_batch(*, year: int, actor: User | None, **mine) -> None:
    """The batch's 资助参保 and fiscal subsidies, summed per district and day, in the batch's transaction."""
    records_post(source="bill", memo=f"{year}年度缴费单资助参保", actor=actor, coverage_year=year, **mine)
    records_post(source="fiscal_subsidy", memo=f"{year}年度财政补助", actor=actor, coverage_year=year, **mine)


def _issue_year_built(
    *,
    year: int,
    district_id: int | None,
    scheme: str | None,
    actor: User | None,
    checkpoint: Callable[..., None] | None,
) -> int | None:
    """The year's partition built, loaded (in id ranges side by side), indexed, validated and attached with
    its postings; None when another run attached it first (the caller then goes on in chunks)."""
    stamp = timezone.now()

    def load(part: str, after: int | None = None, upto: int | None = None) -> int:
        sql, params = issue_statement(
            year=year, now=stamp, table=part, district_id=district_id, scheme=scheme, after=after, upto=upto
        )
        with no_nested_loops(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    workers = batch_workers()
    created = year_partition_build(
        table=BILL_TABLE,
        column="coverage_year",
        year=year,
        load=load,
        parts=_id_ranges(_scope(year=year, district_id=district_id, scheme=scheme), parts=workers),
        workers=workers,
        finish=lambda: _post_batch(year=year, actor=actor, created_at=stamp),
    )
    if created is not None and checkpoint:
        checkpoint(after=0, created=created, done=1, total=1)
    return created


def _scope(*, year: int, district_id: int | None, scheme: str | None):
    base = billable_enrollments(coverage_year=year)
    if district_id:
        base = base.filter(district_id=district_id)
    return base.filter(scheme=scheme) if scheme else base


def _id_ranges(queryset, *, parts: int) -> list[tuple[int, int]]:
    """(after, upto) id ranges of about equal width covering the queryset: one per worker."""
    bounds = queryset.aggregate(first=Min("pk"), last=Max("pk"))
    if bounds["first"] is None or parts <= 1:
        return [()]
    first, last = bounds["first"] - 1, bounds["last"]
    step = -(-(last - first) // parts)
    return [(after, min(after + step, last)) for after in range(first, last, step)]


def _issue_in_chunks(
    *,
    year: int,
    district_id: int | None,
    scheme: str | None,
    actor: User | None,
    resume_after: int | None,
    checkpoint: Callable[..., None] | None,
) -> int:
    base = _scope(year=year, district_id=district_id, scheme=scheme)
    if resume_after:
        base = base.filter(pk__gt=resume_after)
    scope = {"year": year, "district_id": district_id, "scheme": scheme}

    def issue(after: int) -> int:
        # The chunk's bills are the year's bills of its enrollment range stamped with its own time (SQL
        # writes the stamp itself; Django stamps the Python path's a moment later, and SQLite runs one
        # writer at a time); their postings go in the same transaction.
        stamp = timezone.now()
        postgres = connection.vendor == "postgresql"
        with transaction.atomic():
            if postgres:
                created = _issue_chunk_sql(**scope, after=after, now=stamp)
            else:
                created = _issue_chunk_python(**scope, after=after, now=stamp)
            if created:
                mine = {
                    "created_at" if postgres else "created_at__gte": stamp,
                    "enrollment_id__gt": after, "enrollment_id__lte": after + BILL_CHUNK,
                }  # fmt: skip
                _post_batch(year=year, actor=actor, **mine)
            return created

    # Chunks cover disjoint enrollment ids, and a person has one active enrollment, so chunks side by side
    # never insert the same (person, year). They go in waves; the checkpoint after a wave is its last
    # chunk's upper id, below which every chunk has committed: a resumed run has no gap.
    workers = batch_workers()
    created = 0
    for wave in _waves(id_chunks(base, size=BILL_CHUNK), size=workers):
        created += sum(run_side_by_side(issue, [(after,) for after, *_ in wave], workers=workers))
        _, upto, done, total = wave[-1]
        if checkpoint:
            checkpoint(after=upto, created=created, done=done, total=total)
    return created


def _waves(chunks: Iterable[tuple], *, size: int) -> Iterator[list[tuple]]:
    wave: list[tuple] = []
    for chunk in chunks:
        wave.append(chunk)
        if len(wave) == size:
            yield wave
            wave = []
    if wave:
        yield wave


def issue_statement(
    *,
    year: int,
    now: dt.datetime,
    table: str = BILL_TABLE,
    after: int | None = None,
    upto: int | None = None,
    district_id: int | None = None,
    scheme: str | None = None,
) -> tuple[str, dict]:
    """(sql, params) of the bills of the scope, enrollment ids after < id <= upto when `after` is given.

    Into the bill table (a chunk, `upto` after + BILL_CHUNK by default): the aid records looked up per
    person, a person already billed skipped by the unique key. Into a fresh `table` (the year's build): the
    aid records hashed once, and the persons whose bill of the year waits in the default partition left
    out (the bill table's rows of a year with no partition are those)."""
    build = table != BILL_TABLE
    scope = ("AND e.district_id = %(district)s " if district_id else "") + (
        "AND e.scheme = %(scheme)s " if scheme else ""
    )
    if after is not None:
        scope += "AND e.id > %(after)s AND e.id <= %(upto)s "
    if build:
        scope += WAITING_SQL
    sql = _ISSUE_SQL.format(
        table=table,
        subsidy=SUBSIDY_HASHED_SQL if build else SUBSIDY_SQL,
        scope=scope,
        conflict="" if build else "ON CONFLICT (person_id, coverage_year) DO NOTHING",
    )
    first_day, last_day = coverage_year_bounds(year)
    params = {
        "year": year,
        "first_day": first_day,
        "last_day": last_day,
        # Paid at issue means paid in full by 资助参保 (or nothing due): covered from the period's start.
        "student_start": cover_period_start(category=Category.STUDENT, coverage_year=year),
        "now": now,
        "today": timezone.localdate(now),
        "after": after,
        "upto": upto if upto is not None else (after or 0) + BILL_CHUNK,
        "district": district_id,
        "scheme": scheme,
    }
    return sql, params


def _issue_chunk_sql(*, year: int, after: int, district_id: int | None, scheme: str | None, now: dt.datetime) -> int:
    sql, params = issue_statement(year=year, now=now, after=after, district_id=district_id, scheme=scheme)
    # A chunk reads its enrollment range and looks everything else up by key.
    with key_lookups(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _issue_chunk_python(*, year: int, after: int, district_id: int | None, scheme: str | None, now: dt.datetime) -> int:
    standards = {(s.scheme, s.category, s.tier): s for s in ContributionStandard.objects.filter(year=year)}
    rows = billable_enrollments(coverage_year=year).filter(id__gt=after, id__lte=after + BILL_CHUNK)
    if district_id:
        rows = rows.filter(district_id=district_id)
    if scheme:
        rows = rows.filter(scheme=scheme)
    rows = list(rows.values("id", "person_id", "district_id", "scheme", "category", "tier", "contribution_base"))
    # A person's bill for the year may hang on an older (transferred) enrollment: look by person.
    have = set(
        ContributionBill.objects.filter(coverage_year=year, person_id__in=[e["person_id"] for e in rows]).values_list(
            "person_id", flat=True
        )
    )
    subsidies = _subsidies(rows=rows, year=year)
    window = coverage_window_for(year=year)
    bills = []
    for e in rows:
        standard = standards.get((e["scheme"], e["category"], e["tier"]))
        if standard is None or e["person_id"] in have:
            continue
        amounts = bill_amounts(standard=standard, scheme=e["scheme"], contribution_base=e["contribution_base"])
        subsidy = subsidy_amount(due=amounts["due_amount"], policies=subsidies.get(e["person_id"], []))
        status = bill_status(due=amounts["due_amount"], subsidy=subsidy, paid=Decimal(0))
        bill = ContributionBill(
            person_id=e["person_id"],
            enrollment_id=e["id"],
            district_id=e["district_id"],
            coverage_year=year,
            scheme=e["scheme"],
            subsidy_amount=subsidy,
            status=status,
            paid_on=paid_on_for(status=status, day=timezone.localdate(now)),
            **amounts,
        )
        bill.cover_from = bill_cover_from(bill=bill, category=e["category"], window=window)
        bills.append(bill)
    ContributionBill.objects.bulk_create(bills, ignore_conflicts=True, batch_size=2000)
    return len(bills)
