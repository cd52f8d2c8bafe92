"""The two yearly batches: 年度缴费征收 (annual_collection) and 年度结转 (annual_rollover).

Both are JobRuns (who, when, progress, counts, errors), idempotent, and resumable:
* annual_collection(year): one bill per active resident enrollment that has started by 31 Dec of the
  coverage year (contributions.services.billable_enrollments, the rule of the person page's 生成缴费单
  too), at the year's standard with the aid subsidy applied (set-based SQL in id-range chunks, each committed alone; the
  JobRun keeps the last chunk done, so a killed worker's run continues from there — no duplicates,
  the unique (person, year) bill makes sure of it — and no gaps, as every chunk after the checkpoint
  is walked), and the year's employee personal-account credits scheduled: one one-off celery-beat
  entry per month, visible and editable in the admin.
* annual_rollover(year): closes the year and opens the next: graduates' enrollments end on 31 Dec of
  their graduation year (their extended benefit period), every month's personal-account credits of the
  year are made good (retirees' fixed credits included), next year's standards, credit rules, aid and
  benefit policy are carried forward where the bureau has not set them yet (marked "待确认"), and a
  year-end summary is written (accumulators, contributions, unpaid residents, settlements, aid).
"""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, PeriodicTask

from assistance.models import AidPolicy
from benefits.account_selectors import account_credit_months_due
from benefits.models import AccountCreditRule, AnnualAccumulator, Settlement
from benefits.selectors import benefit_policy_document
from benefits.services import account_credits_post, benefit_policy_load
from contributions.collection import contribution_bills_issue
from contributions.models import ContributionBill, ContributionStandard
from core.models import AuditEvent, JobRun, User
from core.services import audit_event_record, job_run_checkpoint, job_run_progress
from enrollment.models import Enrollment, Scheme
from yearend.models import YearEndSummary

CARRIED = "沿用{year}年度标准，待确认"
ACCOUNT_TASK = "个人账户划入 {year}-{month:02d}"


def _run(run_id: int) -> JobRun:
    return JobRun.objects.select_related("started_by").get(pk=run_id)


def annual_collection(*, run_id: int, year: int, district_id: int | None = None) -> dict[str, Any]:
    run = _run(run_id)
    if not ContributionStandard.objects.filter(year=year, scheme=Scheme.RESIDENT).exists():
        # Billing at last year's amounts would be wrong money: the bureau sets the year's standard first.
        raise ValidationError({"year": f"未设置{year}年度居民医保筹资标准，请先在管理后台设置"})
    before = dict(run.counts or {})  # a resumed run carries on from its checkpoint

    def checkpoint(*, after: int, created: int, done: int, total: int) -> None:
        counts = {"bills_created": before.get("bills_created", 0) + created, "after": after}
        job_run_checkpoint(run_id=run_id, counts=counts, done=done, total=total)

    bills = contribution_bills_issue(
        actor=run.started_by,
        coverage_year=year,
        district_id=district_id,
        scheme=Scheme.RESIDENT,
        resume_after=before.get("after"),
        checkpoint=checkpoint,
    )
    scheduled = account_credits_schedule(year=year) if district_id is None else 0
    return {"bills_created": before.get("bills_created", 0) + bills["created"], "credit_months_scheduled": scheduled}


def account_credits_schedule(*, year: int) -> int:
    """One one-off beat entry per month of the year: credit month M on the 1st of M+1 at 01:00."""
    _carry_forward_credit_rules(year=year)
    if not AccountCreditRule.objects.filter(year=year).exists():
        # Scheduling twelve credits that would each credit nothing helps nobody: say what is missing.
        raise ValidationError({"year": f"{year}年度及{year - 1}年度均未设置个人账户划入规则，请先在管理后台设置"})
    created = 0
    for month in range(1, 13):
        when = dt.datetime(year + (month == 12), month % 12 + 1, 1, 1, 0, tzinfo=timezone.get_current_timezone())
        clocked, _ = ClockedSchedule.objects.get_or_create(clocked_time=when)
        _, made = PeriodicTask.objects.get_or_create(
            name=ACCOUNT_TASK.format(year=year, month=month),
            defaults={
                "task": "core.tasks.scheduled_job",
                "clocked": clocked,
                "one_off": True,
                "kwargs": json.dumps({"kind": "account_credits", "params": {"year": year, "month": month}}),
            },
        )
        created += made
    return created


def _carry_forward_credit_rules(*, year: int) -> int:
    if AccountCreditRule.objects.filter(year=year).exists():
        return 0
    rules = [
        AccountCreditRule(year=year, category=r.category, rate=r.rate, fixed_amount=r.fixed_amount,
                          source=CARRIED.format(year=year - 1))
        for r in AccountCreditRule.objects.filter(year=year - 1)
    ]  # fmt: skip
    AccountCreditRule.objects.bulk_create(rules, ignore_conflicts=True)
    return len(rules)


def annual_rollover(*, run_id: int, year: int) -> dict[str, Any]:
    run = _run(run_id)
    actor = run.started_by
    steps = 16
    job_run_progress(run_id=run_id, done=0, total=steps)
    graduates = _graduates_close(actor=actor, year=year)
    job_run_progress(run_id=run_id, done=1)
    credited = 0
    due = account_credit_months_due(year=year)  # the months some employee still lacks, retirees included
    for month in range(1, 13):
        if month in due:
            credited += account_credits_post(actor=actor, year=year, month=month)["credited"]
        job_run_progress(run_id=run_id, done=1 + month)
    opened = _open_next_year(actor=actor, year=year)
    job_run_progress(run_id=run_id, done=14)
    summary = year_end_summary(year=year)
    existing = YearEndSummary.objects.filter(year=year).first()
    if existing is None:
        YearEndSummary.objects.create(year=year, data=summary, run=run)
    elif existing.data != summary:  # a re-run over unchanged data changes nothing
        YearEndSummary.objects.filter(pk=existing.pk).update(data=summary, run=run, updated_at=timezone.now())
    job_run_progress(run_id=run_id, done=steps)
    counts = {"graduates_closed": graduates, "account_credits_made_good": credited, **opened}
    with transaction.atomic():
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.JOB,
            object_type="yearend.yearendsummary",
            object_repr=f"{year}年度结转",
            new_values={"year": year, **counts},
        )
    return counts


@transaction.atomic
def _graduates_close(*, actor: User | None, year: int) -> int:
    """Students graduating in `year` keep benefits to 31 Dec (渝医保发〔2022〕25号), then their student
    enrollment ends. One UPDATE; the audit trail gets one event naming how many and up to which date."""
    end = dt.date(year, 12, 31)
    closed = Enrollment.objects.filter(
        status=Enrollment.Status.ACTIVE, category="student", graduation_year=year, start_date__lte=end
    ).update(
        status=Enrollment.Status.TERMINATED,
        end_date=end,
        end_reason=Enrollment.EndReason.GRADUATED,
        updated_at=timezone.now(),
    )
    if closed:
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.JOB,
            object_type="enrollment.enrollment",
            object_repr=f"{year}年毕业大学生参保登记终止",
            new_values={"graduation_year": year, "end_date": str(end), "closed": closed},
        )
    return closed


def _open_next_year(*, actor: User | None, year: int) -> dict[str, int]:
    """Carry this year's rules to the next where the bureau has not set the next year's yet."""

    nxt = year + 1
    counts = {"standards_carried": 0, "aid_policies_carried": 0, "benefit_lines_carried": 0}
    with transaction.atomic():
        if not ContributionStandard.objects.filter(year=nxt).exists():
            rows = list(ContributionStandard.objects.filter(year=year))
            for row in rows:
                row.pk, row.year, row.source = None, nxt, CARRIED.format(year=year)
            ContributionStandard.objects.bulk_create(rows)
            counts["standards_carried"] = len(rows)
        if not AidPolicy.objects.filter(year=nxt).exists():
            rows = list(AidPolicy.objects.filter(year=year))
            for row in rows:
                row.pk, row.year, row.source = None, nxt, CARRIED.format(year=year)
            AidPolicy.objects.bulk_create(rows)
            counts["aid_policies_carried"] = len(rows)
        counts["credit_rules_carried"] = _carry_forward_credit_rules(year=nxt)
    if not benefit_policy_document(year=nxt)["benefits"]:
        document = benefit_policy_document(year=year)
        document["year"] = nxt
        for line in document["benefits"] + document["critical_illness"]:
            line["source"] = CARRIED.format(year=year)
        if document["benefits"]:
            counts["benefit_lines_carried"] = benefit_policy_load(actor=None, document=document)["created"]
    return counts


def _money(value: Decimal | None) -> str:
    return str(value or Decimal("0.00"))


# One probe of the unique (person, year) bill index per active resident, whatever the statistics say. As an
# anti-join the planner may compare every resident with a materialised scan of the year's paid bills when the
# bill table's statistics predate that year's collection (they say "no bills for that year" while millions
# are there): quadratic. A LATERAL subquery with a LIMIT is never flattened into a join.
_RESIDENTS_UNPAID_SQL = """
SELECT count(*) FROM enrollment_enrollment e
LEFT JOIN LATERAL (
    SELECT 1 AS paid FROM contributions_contributionbill b
    WHERE b.person_id = e.person_id AND b.coverage_year = %s AND b.status = 'paid'
    LIMIT 1
) bill ON TRUE
WHERE e.status = 'active' AND e.scheme = 'resident' AND bill.paid IS NULL
"""


def residents_unpaid_for(*, year: int) -> int:
    """Residents active now without a paid bill for `year`: their cover lapses on 1 Jan of it.

    The bill must be one bill that is both for that year and paid: excluding across the person's bills with
    two conditions (Django's exclude over a many-valued relation) tests them on any two bills, and passed a
    resident whose bill for the year is unpaid but who paid some other year."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_RESIDENTS_UNPAID_SQL, [year])
            return cursor.fetchone()[0]
    paid = ContributionBill.objects.filter(
        person_id=OuterRef("person_id"), coverage_year=year, status=ContributionBill.Status.PAID
    )
    return (
        Enrollment.objects.filter(status=Enrollment.Status.ACTIVE, scheme=Scheme.RESIDENT).exclude(Exists(paid)).count()
    )


def year_end_summary(*, year: int) -> dict[str, Any]:
    """The closed year in figures, by scheme: a handful of GROUP BY queries."""

    bills = ContributionBill.objects.filter(coverage_year=year).values("scheme").annotate(
        bills=Count("id"), due=Sum("due_amount"), subsidy=Sum("subsidy_amount"), paid=Sum("paid_amount"),
        unpaid=Count("id", filter=~Q(status=ContributionBill.Status.PAID)),
    )  # fmt: skip
    settlements = Settlement.objects.filter(year=year, status=Settlement.Status.SETTLED).values("scheme").annotate(
        settlements=Count("id"), total_cost=Sum("total_cost"), pooled=Sum("pooled_paid"),
        critical=Sum("critical_paid"), aid=Sum("aid_paid"), account=Sum("account_paid"),
        out_of_pocket=Sum("out_of_pocket"),
    )  # fmt: skip
    people = AnnualAccumulator.objects.filter(year=year).aggregate(
        people_with_settlements=Count("id"), out_of_pocket=Sum("out_of_pocket")
    )
    next_unpaid = residents_unpaid_for(year=year + 1)
    return {
        "year": year,
        "contributions": {
            row["scheme"]: {
                "bills": row["bills"],
                "unpaid_bills": row["unpaid"],
                "due": _money(row["due"]),
                "subsidy": _money(row["subsidy"]),
                "paid": _money(row["paid"]),
            }
            for row in bills
        },  # fmt: skip
        "settlements": {
            row["scheme"]: {k: (_money(v) if isinstance(v, Decimal) else v) for k, v in row.items() if k != "scheme"}
            for row in settlements
        },
        "people_with_settlements": people["people_with_settlements"],
        "out_of_pocket": _money(people["out_of_pocket"]),
        "residents_unpaid_for_next_year": next_unpaid,
    }
