from django.core.management.base import BaseCommand

from core.reference import district_load_reference


class Command(BaseCommand):
    help = (
        "Load reference data: districts with GB/T 2260 codes, and the three functional zones with the bureau's"
        " placeholder codes 500191-500193 (not GB/T 2260 codes). Safe to run again."
    )

    def handle(self, *args, **options) -> None:
        counts = district_load_reference(actor=None)
        self.stdout.write(self.style.SUCCESS(f"districts: {counts}"))
