from pathlib import Path

from django.core.management.base import BaseCommand

from contributions.importing import payment_batch_create
from core.commands import file_import_run
from core.models import ImportBatch


class Command(BaseCommand):
    help = "Record contribution payments from a file (身份证号, 参保年度, 缴费金额, 缴费流水号, 缴费日期[, 缴费渠道])."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--district")
        parser.add_argument("--mode", choices=ImportBatch.Mode.values, default=ImportBatch.Mode.SKIP_INVALID)
        parser.add_argument("--user")

    def handle(self, *args, **opts):
        file_import_run(command=self, create=payment_batch_create, opts=opts)
