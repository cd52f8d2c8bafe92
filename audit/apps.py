from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Fund supervision (稽核监管) on the roof: reads every domain app; nothing below imports it."""

    name = "audit"
    verbose_name = _("基金监管")

    def ready(self) -> None:
        from core.jobs import JobKind, register_count_labels, register_jobs
        from core.workqueue import register_queue_item

        from .credit_rating import credit_rating
        from .fraud import fraud_scan_job
        from .job_display import credit_rating_default_year, credit_rating_label, fraud_scan_label
        from .queue import audit_queue_items

        register_jobs(
            JobKind("fraud_scan", fraud_scan_job, _("疑点筛查")),
            JobKind(
                "credit_rating",
                credit_rating,
                _("定点机构信用评价"),
                start="year",
                default_year=credit_rating_default_year,
            ),
        )
        # A fraud scan counts per rule code, a credit rating per grade.
        register_count_labels({"created": _("新增疑点（合计）")}, kind="fraud_scan", resolve=fraud_scan_label)
        register_count_labels(
            {"rated": _("评价的机构"), "previously_rated": _("此前已评价的机构")},
            kind="credit_rating",
            resolve=credit_rating_label,
        )
        for item in audit_queue_items():
            register_queue_item(item)
