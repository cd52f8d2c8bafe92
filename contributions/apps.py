from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributionsConfig(AppConfig):
    """Money in: contribution standards, bills with their subsidies, payments and the payment import."""

    name = "contributions"
    verbose_name = _("缴费征收")

    def ready(self) -> None:
        from core.importing.registry import register_importer
        from core.jobs import JobKind, register_jobs
        from core.ledger import register_posting_rules
        from enrollment.panels import PersonPanel, register_person_panel

        from .importing import PAYMENTS_IMPORTER, payments_import_job
        from .postings import POSTING_RULES
        from .views import person_bills_panel

        register_jobs(JobKind("payments_import", payments_import_job, _("缴费记录导入")))
        register_importer(PAYMENTS_IMPORTER)
        register_posting_rules(*POSTING_RULES)
        register_person_panel(PersonPanel(order=10, render=person_bills_panel))
