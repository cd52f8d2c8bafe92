from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Fund supervision (稽核监管) on the roof: reads every domain app; nothing below imports it."""

    name = "audit"
    verbose_name = _("基金监管")

    def ready(self) -> None:
        from core.jobs import JobKind, register_jobs

        from .credit_rating import credit_rating
        from .fraud import fraud_scan_job

        register_jobs(
            JobKind("fraud_scan", fraud_scan_job, _("疑点筛查")),
            JobKind("credit_rating", credit_rating, _("定点机构信用评价"), start="year"),
        )
