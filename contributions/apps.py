from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributionsConfig(AppConfig):
    """Money in: contribution standards, bills with their subsidies, payments and the payment import."""

    name = "contributions"
    verbose_name = _("缴费征收")

    def ready(self) -> None:
        from assistance.coverage import Coverage, register_coverage
        from core.importing.registry import register_importer
        from core.jobs import JobKind, register_jobs
        from core.ledger import register_posting_rules
        from enrollment.panels import PersonPanel, register_person_panel

        from .importing import PAYMENTS_IMPORTER, payments_import_job
        from .models import ContributionBill
        from .postings import POSTING_RULES
        from .services import contribution_bill_issue
        from .views import person_bills_panel

        register_jobs(JobKind("payments_import", payments_import_job, _("缴费记录导入")))
        register_importer(PAYMENTS_IMPORTER)
        register_posting_rules(*POSTING_RULES)
        # 应保尽保: the aid worklist enrolls a person with their bill; the rate counts fully paid bills.
        register_coverage(
            Coverage(
                issue_bill=contribution_bill_issue,
                covered_people=lambda year: ContributionBill.objects.filter(
                    coverage_year=year, status=ContributionBill.Status.PAID
                ).values("person_id"),
            )
        )
        register_person_panel(PersonPanel(order=10, render=person_bills_panel))
