"""信用评价: the yearly credit rating of designated institutions, and what each grade leads to
(信用评价结果运用, rules in `CreditConsequence`), as a registered batch job."""

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from benefits.models import Institution, Settlement
from core.models import AuditEvent
from core.money import to_fen
from core.services import audit_event_record, job_run_progress

from .models import CreditConsequence, CreditRating, Inspection, Suspicion

ZERO = Decimal("0.00")
REVERSAL_TOLERANCE = Decimal("2")  # percent of the year's settlements
GRADES = ((90, CreditRating.Grade.A), (75, CreditRating.Grade.B), (60, CreditRating.Grade.C))


def _grade(score: int) -> str:
    return next((grade for floor, grade in GRADES if score >= floor), CreditRating.Grade.D)


def credit_score(*, confirmed: int, confirmed_amount: Decimal, inspections: int, settlements: int, reversed_: int):
    """Score and deductions of one institution (see `credit_rating_compute` for the formula)."""
    deductions = {
        "suspicions": min(30, 5 * confirmed),
        "amount": min(20, int((confirmed_amount / 1000).to_integral_value(rounding=ROUND_FLOOR))),
        "inspections": min(30, 10 * inspections),
        "reversals": 0,
    }
    ratio = (Decimal(reversed_) * 100 / settlements) if settlements else Decimal(0)
    if ratio > REVERSAL_TOLERANCE:
        deductions["reversals"] = min(20, int((ratio - REVERSAL_TOLERANCE).to_integral_value(rounding=ROUND_FLOOR)))
    return max(0, 100 - sum(deductions.values())), deductions, ratio.quantize(Decimal("0.01"))


def credit_rating_compute(*, year: int) -> dict[str, int]:
    """Rate every institution whose agreement is not terminated for `year`; re-running updates the same rows.

    Score = 100 minus four deductions, floored at 0:
      * 5 points per confirmed suspicion (`Suspicion.status == confirmed`, service date in the year), at most 30;
      * 1 point per full 1,000 yuan these suspicions involve (`Suspicion.amount`), at most 20;
      * 10 points per inspection started in the year that recovered money or imposed a penalty, at most 30;
      * 1 point per full percentage point of the reversal ratio (reversed / all settlements of the year by
        service date) above 2 %, at most 20.
    Grade: A >= 90, B >= 75, C >= 60, D below. `basis` keeps the counts, amounts and deductions.

    Four GROUP BY queries (institutions, suspicions, inspections, settlements) and one bulk upsert.
    """
    institutions = list(
        Institution.objects.filter(area_code="")
        .exclude(agreement_status=Institution.AgreementStatus.TERMINATED)
        .values_list("pk", flat=True)
    )
    suspicions = {
        row["institution_id"]: row
        for row in Suspicion.objects.filter(status=Suspicion.Status.CONFIRMED, service_date__year=year)
        .values("institution_id")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    }
    inspections = {
        row["institution_id"]: row
        for row in Inspection.objects.filter(started_on__year=year)
        .filter(Q(recovered_amount__gt=0) | Q(penalty_amount__gt=0))
        .values("institution_id")
        .annotate(n=Count("id"), recovered=Sum("recovered_amount"), penalty=Sum("penalty_amount"))
        .order_by()
    }
    settlements = {
        row["institution_id"]: row
        for row in Settlement.objects.filter(service_date__year=year)
        .values("institution_id")
        .annotate(n=Count("id"), reversed=Count("id", filter=Q(status=Settlement.Status.REVERSED)))
        .order_by()
    }
    ratings = []
    for pk in institutions:  # one pass over aggregated rows, no queries inside
        s, i, t = suspicions.get(pk, {}), inspections.get(pk, {}), settlements.get(pk, {})
        amount = to_fen(str(s.get("amount") or 0))
        score, deductions, ratio = credit_score(
            confirmed=s.get("n", 0), confirmed_amount=amount, inspections=i.get("n", 0),
            settlements=t.get("n", 0), reversed_=t.get("reversed", 0),
        )  # fmt: skip
        basis = {
            "confirmed_suspicions": s.get("n", 0),
            "confirmed_amount": str(amount),
            "inspections_with_recovery": i.get("n", 0),
            "recovered_amount": str(Decimal(str(i.get("recovered") or 0)).quantize(Decimal("0.01"))),
            "penalty_amount": str(Decimal(str(i.get("penalty") or 0)).quantize(Decimal("0.01"))),
            "settlements": t.get("n", 0),
            "reversed_settlements": t.get("reversed", 0),
            "reversal_ratio_percent": str(ratio),
            "deductions": deductions,
        }
        ratings.append(CreditRating(institution_id=pk, year=year, score=score, grade=_grade(score), basis=basis))
    with transaction.atomic():
        existing = CreditRating.objects.filter(year=year).count()
        CreditRating.objects.bulk_create(
            ratings, batch_size=1000, update_conflicts=True, unique_fields=["institution", "year"],
            update_fields=["score", "grade", "basis", "updated_at"],
        )  # fmt: skip
    grades = {g: sum(1 for r in ratings if r.grade == g) for g in CreditRating.Grade.values}
    return {
        "year": year,
        "rated": len(ratings),
        "previously_rated": existing,
        **{f"grade_{g}": n for g, n in grades.items()},
    }


MEASURE_FIELDS = ("on_inspection_list", "settlement_review_from", "credit_measure_reason")
AUTO_INSPECTORS = "待指派"


def credit_consequence_rules() -> dict[str, list[str]]:
    """Active consequence actions per grade, e.g. {"D": ["inspection_list", ...]}."""
    rules: dict[str, list[str]] = {}
    for grade, action in CreditConsequence.objects.filter(active=True).values_list("grade", "action"):
        rules.setdefault(grade, []).append(action)
    return rules


@transaction.atomic
def credit_consequences_apply(*, year: int, on: dt.date | None = None) -> dict[str, int]:
    """Apply the consequence rules to the ratings of `year`; re-running changes nothing.

    The institution's measures follow its latest rating: a year older than the latest rated year is
    left alone, and a better grade on a re-run lifts the list entry and the settlement hold. A
    专项检查 opened for a rating is never closed or removed here (the case is the inspectors' to close).
    Every change of an institution and every case opened is written to the audit trail.
    """
    on = on or timezone.localdate()
    if CreditRating.objects.filter(year__gt=year).exists():
        return {"changed": 0, "inspections_opened": 0, "skipped_older_year": 1}
    rules = credit_consequence_rules()
    action = CreditConsequence.Action
    ratings = list(CreditRating.objects.filter(year=year).select_related("institution"))
    opened_for = set(Inspection.objects.filter(credit_rating__year=year).values_list("credit_rating_id", flat=True))
    changed: list[Institution] = []
    opened = 0
    for rating in ratings:
        actions = rules.get(rating.grade, [])
        institution = rating.institution
        old = {f: getattr(institution, f) for f in MEASURE_FIELDS}
        hold = action.SETTLEMENT_REVIEW in actions
        listed = action.INSPECTION_LIST in actions
        institution.on_inspection_list = listed
        institution.settlement_review_from = (old["settlement_review_from"] or on) if hold else None
        institution.credit_measure_reason = (
            f"{year}年度信用评价{rating.get_grade_display()}" if (hold or listed) else ""
        )
        new = {f: getattr(institution, f) for f in MEASURE_FIELDS}
        if new != old:
            changed.append(institution)
            audit_event_record(
                actor=None, action=AuditEvent.Action.UPDATE, obj=institution,
                old_values={k: str(v) if isinstance(v, dt.date) else v for k, v in old.items() if v != new[k]},
                new_values={k: str(v) if isinstance(v, dt.date) else v for k, v in new.items() if v != old[k]},
                note=f"信用评价结果运用（{year}年度）",
            )  # fmt: skip
        if action.SPECIAL_INSPECTION in actions and rating.pk not in opened_for:
            case = Inspection.objects.create(
                institution=institution, district_id=institution.district_id, kind=Inspection.Kind.SPECIAL,
                credit_rating=rating, started_on=on, inspectors=AUTO_INSPECTORS,
                findings=f"{year}年度信用评价为{rating.get_grade_display()}，按信用评价结果运用规则立案专项检查。",
            )  # fmt: skip
            audit_event_record(
                actor=None, action=AuditEvent.Action.CREATE, obj=case,
                new_values={"kind": case.kind, "credit_rating": rating.pk, "started_on": str(on)},
                note=f"信用评价结果运用（{year}年度）",
            )  # fmt: skip
            opened += 1
    if changed:
        now = timezone.now()
        for institution in changed:
            institution.updated_at = now  # bulk_update does not touch auto_now fields
        Institution.objects.bulk_update(changed, [*MEASURE_FIELDS, "updated_at"], batch_size=1000)
    return {"changed": len(changed), "inspections_opened": opened}


def credit_rating(*, run_id: int, year: int) -> dict[str, Any]:
    """Yearly job: rate the institutions for `year`, then apply the consequences of the grades
    (idempotent; a re-run updates the same rows and opens no second case)."""
    job_run_progress(run_id=run_id, done=0, total=2)
    counts = credit_rating_compute(year=year)
    job_run_progress(run_id=run_id, done=1)
    measures = credit_consequences_apply(year=year)
    job_run_progress(run_id=run_id, done=2)
    return counts | {f"consequences_{k}": v for k, v in measures.items()}
