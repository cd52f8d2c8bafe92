from pathlib import Path

from django.core.management.base import BaseCommand

from assistance.importing import aid_recipient_batch_create
from assistance.models import AidRecipient
from core.commands import file_import_run
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
        file_import_run(command=self, create=aid_recipient_batch_create, opts=opts, source=opts["source"])
