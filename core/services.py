"""Writes of the audit app: audit events, login events, job runs."""

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from core.context import current_ip
from core.models import AuditEvent, JobRun, User
from core.roles import Role


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, *, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Field values of `instance` as JSON-safe data (FKs by id).

    A model lists personal data in `AUDIT_MASKED` (field -> masking function): the trail keeps
    the masked form, so reading the trail never shows what the unmask capability guards.
    """
    names = list(fields) if fields is not None else [f.attname for f in instance._meta.concrete_fields]
    masked = getattr(instance, "AUDIT_MASKED", {})
    return {
        name: masked[name](getattr(instance, name)) if name in masked else _jsonable(getattr(instance, name))
        for name in names
    }


def changed_values(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, as (old, new)."""
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def acting_user(actor: User | None) -> User | None:
    """The staff user behind a call, or None for the system (commands, beat, migrations)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def audit_event_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    district_id: int | None = None,
    old_values: dict[str, Any] | None = None,
    new_values: dict[str, Any] | None = None,
    note: str = "",
    actor_username: str = "",
) -> AuditEvent:
    """Append one event. Call inside the service's transaction so both land or neither."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
        if district_id is None:
            district_id = getattr(obj, "district_id", None)
    user = acting_user(actor)
    return AuditEvent.objects.create(
        actor=user,
        actor_username=actor_username or (user.get_username() if user else ""),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=object_repr[:200],
        district_id=district_id,
        old_values=old_values,
        new_values=new_values,
        ip_address=current_ip.get(),
        note=note[:500],
    )


def status_change_record(
    *, actor: User | None, obj: models.Model, old_status: str, new_values: dict[str, Any], reason: str = ""
) -> AuditEvent:
    """A workflow move in the audit trail: the old status, the new values, and the reason (kept as the note)."""
    if reason:
        new_values = {**new_values, "reason": reason}
    return audit_event_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        obj=obj,
        old_values={"status": old_status},
        new_values=new_values,
        note=reason,
    )


def job_run_create(
    *, actor: User | None, kind: str, params: dict[str, Any] | None = None, district_id: int | None = None
) -> JobRun:
    """Record a queued run; the caller enqueues its task with transaction.on_commit."""
    with transaction.atomic():
        run = JobRun.objects.create(
            kind=kind,
            params=params or {},
            started_by=acting_user(actor),
            district_id=district_id,
        )
        audit_event_record(
            actor=actor, action=AuditEvent.Action.JOB, obj=run, new_values={"kind": kind, **(params or {})}
        )
    return run


def job_run_start(*, run_id: int, total: int = 0) -> None:
    now = timezone.now()
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.RUNNING, started_at=now, heartbeat_at=now, finished_at=None, total=total, done=0, error=""
    )


def job_run_progress(
    *, run_id: int | None, done: int, total: int | None = None, db: BaseDatabaseWrapper | None = None
) -> None:
    """Move a run's progress bar; no run (a service called directly, not as a job) is a no-op.

    A plain UPDATE outside any long transaction, so the bar moves while the job runs. `db` is a second
    connection, for work that keeps the main one busy (the enrollee import's streaming COPY).
    Every report is also the run's heartbeat (same UPDATE, no extra write); jobs report per chunk, not per row."""
    if not run_id:
        return
    fields: dict[str, Any] = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    if db is None:
        JobRun.objects.filter(pk=run_id).update(**fields)
        return
    assignments = ", ".join(f"{name} = %s" for name in fields)
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {JobRun._meta.db_table} SET {assignments} WHERE id = %s",  # noqa: S608
            [*fields.values(), run_id],
        )


def job_run_checkpoint(*, run_id: int, counts: dict[str, Any], done: int, total: int) -> None:
    """Progress plus where to resume: a run executed again after a crash reads `counts` back."""
    JobRun.objects.filter(pk=run_id).update(counts=counts, done=done, total=total, heartbeat_at=timezone.now())


def job_run_finish(*, run_id: int, counts: dict[str, Any] | None, error: str = "") -> None:
    """`counts=None` (a failure) keeps the checkpoint the job wrote, for the resumed run."""
    fields: dict[str, Any] = {"counts": counts} if counts is not None else {}
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.FAILED if error else JobRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        error=error[:10000],
        **fields,
    )


@transaction.atomic
def staff_user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    district_id: int | None,
    full_name: str = "",
    institution_id: int | None = None,
) -> User:
    user = User(
        username=username,
        role=role,
        district_id=district_id,
        institution_id=institution_id,
        first_name=full_name,
        # Only municipal admins reach the Django admin site.
        is_staff=role == Role.MUNICIPAL_ADMIN,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=user,
        new_values={"username": username, "role": role, "district_id": district_id, "institution_id": institution_id},
    )
    return user
