from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "assistance"
    verbose_name = _("医疗救助")

    def ready(self) -> None:
        from core.importing.registry import register_importer
        from core.jobs import JobKind, register_count_labels, register_jobs
        from core.ledger import register_posting_rules
        from core.workqueue import register_queue_item

        from .alerts import high_cost_alerts
        from .importing import AID_RECIPIENTS_IMPORTER, aid_recipients_import_job
        from .postings import POSTING_RULES
        from .queue import assistance_queue_items
        from .selectors import aid_year_default

        register_jobs(
            JobKind("aid_recipients_import", aid_recipients_import_job, _("医疗救助对象名单导入")),
            JobKind(
                "high_cost_alerts", high_cost_alerts, _("高额费用负担预警"), start="year", default_year=aid_year_default
            ),
        )
        register_importer(AID_RECIPIENTS_IMPORTER)
        register_posting_rules(*POSTING_RULES)
        register_count_labels(
            {
                "recipients_created": _("新增救助对象"),
                "recipients_updated": _("更新截止日期的救助对象"),
                "worklist_created": _("新增待参保人员"),
                "worklist_updated": _("更新截止日期的待参保人员"),
                "written": _("写入的预警"),
            }
        )
        for item in assistance_queue_items():
            register_queue_item(item)
