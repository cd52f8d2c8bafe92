from pathlib import Path

from django.core.management.base import BaseCommand

from contributions.importing import payment_batch_confirm, payment_batch_create
from core.commands import file_import_confirm, file_import_run
from core.models import ImportBatch


class Command(BaseCommand):
    help = (
        "Record contribution payments from a file (身份证号, 参保年度, 缴费金额, 缴费流水号, 缴费日期[, 缴费渠道]). "
        "Without --confirm it is a dry run: it prints the counts and the refused rows and books nothing. "
        "With --confirm it books the rows after checking each one again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--district")
        parser.add_argument("--mode", choices=ImportBatch.Mode.values, default=ImportBatch.Mode.SKIP_INVALID)
        parser.add_argument("--user")
        parser.add_argument("--confirm", action="store_true", help="book the payments after the check")

    def handle(self, *args, **opts):
        batch = file_import_run(command=self, create=payment_batch_create, opts=opts, preview=True)
        if opts["confirm"]:
            file_import_confirm(command=self, confirm=payment_batch_confirm, batch=batch, user=opts["user"])
