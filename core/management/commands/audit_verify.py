from django.core.management.base import BaseCommand, CommandError

from core.audit_chain import audit_chain_seal, audit_chain_verify, last_anchor


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain from the first event and name the first broken link "
        "(event id and time); exits 1 if the chain does not hold. Seals pending events first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-seal", action="store_true", help="check only what is already sealed")
        parser.add_argument(
            "--no-anchor", action="store_true", help="ignore the chain end recorded by the last nightly check"
        )

    def handle(self, *args, **options) -> None:
        sealed = 0 if options["no_seal"] else audit_chain_seal()
        report = audit_chain_verify(anchor=None if options["no_anchor"] else last_anchor())
        if report.broken is not None:
            raise CommandError(report.broken.describe())
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain holds: {report.checked} events checked, chain length {report.last_seq}, "
                f"tip {report.last_hash}, newly sealed {sealed}, unsealed {report.unsealed}"
            )
        )
