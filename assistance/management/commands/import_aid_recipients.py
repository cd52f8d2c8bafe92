from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from assistance.importing import aid_recipient_batch_create
from assistance.models import AidRecipient
from core.commands import resolve_actor, resolve_district
from core.models import ImportBatch


class Command(BaseCommand):
    help = "Import an aid-recipient list (姓名, 身份证号, 救助类别, 认定开始日期[, 认定截止日期, 数据来源])."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--district", help="district code; only that district's people are accepted")
        parser.add_argument("--source", choices=AidRecipient.Source.values, default=AidRecipient.Source.CIVIL_AFFAIRS)
        parser.add_argument("--mode", choices=ImportBatch.Mode.values, default=ImportBatch.Mode.SKIP_INVALID)
        parser.add_argument("--user")

    def handle(self, *args, **opts):
        if not opts["file"].exists():
            raise CommandError(f"{opts['file']} does not exist")
        try:
            with open(opts["file"], "rb") as fh:
                batch = aid_recipient_batch_create(
                    actor=resolve_actor(opts["user"]),
                    fileobj=File(fh),
                    original_name=opts["file"].name,
                    district_id=resolve_district(opts["district"]),
                    mode=opts["mode"],
                    source=opts["source"],
                    inline=True,
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        batch.refresh_from_db()
        self.stdout.write(f"batch {batch.pk}: {batch.get_status_display()} {batch.counts}")
        for error in batch.row_errors.order_by("row_number", "id")[:50]:
            self.stdout.write(f"  第{error.row_number}行 {error.field}: {error.message}")
