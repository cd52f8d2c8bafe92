import datetime as dt
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from core.commands import resolve_actor, resolve_district
from core.models import ImportBatch
from enrollment.importing.pipeline import import_batch_confirm, import_batch_create


class Command(BaseCommand):
    help = (
        "Import an enrollee list (CSV/XLSX). Without --confirm it is a dry run: it prints the counts and the "
        "refused rows and writes nothing real. With --confirm it imports when the checks allow it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--district", help="6-digit district code the list belongs to (default: whole city)")
        parser.add_argument("--mode", choices=ImportBatch.Mode.values, default=ImportBatch.Mode.ATOMIC)
        parser.add_argument("--effective-date", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--user", help="act as this staff user (recorded in the audit trail)")
        parser.add_argument("--confirm", action="store_true", help="import after a clean check")
        parser.add_argument("--show-errors", type=int, default=50, help="how many refused rows to print")

    def handle(self, *args, **opts):
        actor = resolve_actor(opts["user"])
        if not opts["file"].exists():
            raise CommandError(f"{opts['file']} does not exist")
        try:
            with open(opts["file"], "rb") as fh:
                batch = import_batch_create(
                    actor=actor,
                    fileobj=File(fh),
                    original_name=opts["file"].name,
                    district_id=resolve_district(opts["district"]),
                    mode=opts["mode"],
                    effective_date=opts["effective_date"],
                    inline=True,
                )
            batch.refresh_from_db()
            self.stdout.write(f"batch {batch.pk}: {batch.get_status_display()} {batch.counts}")
            for error in batch.row_errors.order_by("row_number", "id")[: opts["show_errors"]]:
                self.stdout.write(f"  第{error.row_number}行 {error.field}: {error.message} {error.value}")
            if opts["confirm"]:
                import_batch_confirm(actor=actor, batch=batch, inline=True)
                batch.refresh_from_db()
                self.stdout.write(self.style.SUCCESS(f"batch {batch.pk}: {batch.get_status_display()} {batch.counts}"))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
