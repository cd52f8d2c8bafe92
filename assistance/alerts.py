"""高额费用负担预警: people whose yearly out-of-pocket passed the threshold, found in one statement.

渝医保发〔2022〕25号 asks for warnings on patients with high cost burdens so that aid reaches them
early. The scan reads the settlement year's running totals (AnnualAccumulator); one alert per person
and year, its amount kept current while it is open. Re-running adds nothing and changes nothing new.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.models import AuditEvent, JobRun, User
from core.scope import require_edit_for_scope
from core.services import audit_event_record, job_run_progress

_SCAN_SQL = """
INSERT INTO assistance_highcostalert
    (person_id, district_id, year, out_of_pocket, threshold, aid_recipient, status, note, created_at, updated_at)
SELECT a.person_id, p.district_id, a.year, a.out_of_pocket, %(threshold)s,
       EXISTS (
           SELECT 1 FROM assistance_aidrecipient r
           WHERE r.person_id = a.person_id AND r.valid_from <= %(year_end)s
             AND (r.valid_to IS NULL OR r.valid_to >= %(year_start)s)
       ),
       'open', '', %(now)s, %(now)s
FROM benefits_annualaccumulator a
JOIN enrollment_person p ON p.id = a.person_id
WHERE a.year = %(year)s AND a.out_of_pocket >= %(threshold)s {district}
ON CONFLICT (person_id, year) DO UPDATE
    SET out_of_pocket = EXCLUDED.out_of_pocket, updated_at = EXCLUDED.updated_at
    WHERE assistance_highcostalert.status = 'open'
      AND assistance_highcostalert.out_of_pocket <> EXCLUDED.out_of_pocket
"""


def high_cost_threshold() -> Decimal:
    return Decimal(str(settings.YIBAO_HIGH_COST_THRESHOLD))


def high_cost_alerts_scan(*, actor: User | None, year: int, district_id: int | None = None) -> dict[str, int]:
    """Raise (or bring up to date) the year's alerts; returns how many rows were written."""
    require_edit_for_scope(actor=actor, district_id=district_id)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度应为四位年份"})
    threshold = high_cost_threshold()
    params = {
        "year": year,
        "year_start": f"{year}-01-01",
        "year_end": f"{year}-12-31",
        "threshold": threshold,
        "now": timezone.now(),
        "district": district_id,
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_SCAN_SQL.format(district="AND p.district_id = %(district)s" if district_id else ""), params)
            written = cursor.rowcount
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.JOB,
            object_type="assistance.highcostalert",
            object_repr=f"{year}年度高额费用负担预警",
            district_id=district_id,
            new_values={"year": year, "threshold": str(threshold), "written": written},
        )
    return {"written": written}


def high_cost_alerts(*, run_id: int, year: int, district_id: int | None = None) -> dict[str, Any]:
    run = JobRun.objects.select_related("started_by").get(pk=run_id)
    job_run_progress(run_id=run_id, done=0, total=1)
    counts = high_cost_alerts_scan(actor=run.started_by, year=year, district_id=district_id)
    job_run_progress(run_id=run_id, done=1, total=1)
    return counts
