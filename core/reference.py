"""Reference data every app reads: the districts of the city (区县)."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from core.models import AuditEvent, District
from core.services import audit_event_record

from .models import User

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@transaction.atomic
def district_load_reference(*, actor: User | None, path: Path | None = None) -> dict[str, int]:
    """Upsert the district list from the reference file; loading it twice changes nothing."""
    data = json.loads((path or REFERENCE_DIR / "districts.json").read_text(encoding="utf-8"))
    rows = data["districts"]
    existing = {d.code: d for d in District.objects.all()}
    created = updated = 0
    fields = ["name", "name_en", "kind", "gb2260"]
    for row in rows:
        current = existing.get(row["code"])
        if current is None:
            current = District.objects.create(code=row["code"], **{f: row[f] for f in fields})
            audit_event_record(actor=actor, action=AuditEvent.Action.CREATE, obj=current, new_values=row)
            created += 1
        elif any(getattr(current, f) != row[f] for f in fields):
            old = {f: getattr(current, f) for f in fields}
            for f in fields:
                setattr(current, f, row[f])
            current.save(update_fields=fields)
            audit_event_record(
                actor=actor, action=AuditEvent.Action.UPDATE, obj=current, old_values=old, new_values=row
            )
            updated += 1
    return {"created": created, "updated": updated, "total": len(rows)}


def district_id_for_code(code: str | None, field: str = "district_code") -> int | None:
    """The id of the district with this 6-digit code; an unknown code is a field error."""
    if not code:
        return None
    district = District.objects.filter(code=code).first()
    if district is None:
        raise ValidationError({field: "区县代码不存在"})
    return district.pk
