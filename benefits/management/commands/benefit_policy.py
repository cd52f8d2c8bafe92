import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from benefits.selectors import benefit_policy_document
from benefits.services import benefit_policy_load

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "reference" / "policy_2023.json"


class Command(BaseCommand):
    help = "Load a benefit policy file (a change becomes a new version) or export a year's current policy."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load")
        load.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
        export = sub.add_parser("export")
        export.add_argument("--year", type=int, required=True)
        export.add_argument("--output", type=Path)

    def handle(self, *args, **opts):
        if opts["action"] == "load":
            try:
                counts = benefit_policy_load(actor=None, document=json.loads(opts["file"].read_text(encoding="utf-8")))
            except (ValidationError, ValueError) as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(self.style.SUCCESS(f"benefit policy {opts['file'].name}: {counts}"))
            return
        text = json.dumps(benefit_policy_document(year=opts["year"]), ensure_ascii=False, indent=1)
        if opts["output"]:
            opts["output"].write_text(text + "\n", encoding="utf-8")
        else:
            self.stdout.write(text)
