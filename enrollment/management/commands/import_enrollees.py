import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand

from core.commands import file_import_confirm, file_import_run
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
        batch = file_import_run(
            command=self,
            create=import_batch_create,
            opts=opts,
            show=opts["show_errors"],
            effective_date=opts["effective_date"],
        )
        if opts["confirm"]:
            file_import_confirm(command=self, confirm=import_batch_confirm, batch=batch, user=opts["user"])
