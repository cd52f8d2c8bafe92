"""Shared options of every app's management commands: acting user, district, running a job inline."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from core.jobs import job_run_execute
from core.models import District, ImportBatch, JobRun, User
from core.services import job_run_create


def resolve_actor(username: str | None) -> User | None:
    """Operators may act as a named staff user, so the audit trail names a person; else the system."""
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user


def resolve_district(code: str | None) -> int | None:
    if not code:
        return None
    district = District.objects.filter(code=code).first()
    if district is None:
        raise CommandError(f"unknown district code {code!r}")
    return district.pk


def run_job_inline(
    *, kind: str, params: dict, actor: User | None, district_id: int | None = None, resume: int | None = None
) -> JobRun:
    """Record a JobRun and run it here (the operator waits); a failed run raises CommandError.

    `resume` runs a failed run of the same kind again instead: it continues from its checkpoint."""
    if resume:
        run = JobRun.objects.filter(pk=resume, kind=kind).exclude(status=JobRun.Status.SUCCEEDED).first()
        if run is None:
            raise CommandError(f"no unfinished {kind} run {resume}")
    else:
        run = job_run_create(actor=actor, kind=kind, params=params, district_id=district_id)
    try:
        job_run_execute(run_id=run.pk)
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from None
    except Exception as exc:  # noqa: BLE001  (the run has recorded the error; say it the command's way)
        run.refresh_from_db()
        raise CommandError(f"job {run.pk} failed: {run.error or exc}") from None
    run.refresh_from_db()
    if run.error:
        raise CommandError(f"job {run.pk} failed: {run.error}")
    return run


def file_import_run(
    *, command: BaseCommand, create: Callable[..., ImportBatch], opts: dict[str, Any], show: int = 50, **options: Any
) -> ImportBatch:
    """Store and run one file import here (the operator waits), then print its counts and first refused rows.

    `create` is the importer's create service; `options` are its own extra arguments (e.g. effective_date)."""
    path: Path = opts["file"]
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    try:
        with open(path, "rb") as fh:
            batch = create(
                actor=resolve_actor(opts["user"]),
                fileobj=File(fh),
                original_name=path.name,
                district_id=resolve_district(opts["district"]),
                mode=opts["mode"],
                inline=True,
                **options,
            )
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from None
    batch.refresh_from_db()
    command.stdout.write(f"batch {batch.pk}: {batch.get_status_display()} {batch.counts}")
    for error in batch.row_errors.order_by("row_number", "id")[:show]:
        command.stdout.write(f"  第{error.row_number}行 {error.field}: {error.message} {error.value}")
    return batch


def file_import_confirm(
    *, command: BaseCommand, confirm: Callable[..., Any], batch: ImportBatch, user: str | None
) -> None:
    """`--confirm` of an import command: apply the checked batch here, then print what it wrote."""
    try:
        confirm(actor=resolve_actor(user), batch=batch, inline=True)
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from None
    batch.refresh_from_db()
    command.stdout.write(command.style.SUCCESS(f"batch {batch.pk}: {batch.get_status_display()} {batch.counts}"))
