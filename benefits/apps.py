from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = _("待遇结算")

    def ready(self) -> None:
        from core.jobs import JobKind, register_count_labels, register_jobs
        from core.ledger import register_posting_rules
        from core.workqueue import register_queue_item
        from enrollment.panels import PersonPanel, register_person_panel

        from .chronic_applications import chronic_queue_items
        from .jobs import account_credits
        from .person_views import person_panel_loader
        from .postings import POSTING_RULES

        register_jobs(JobKind("account_credits", account_credits, _("个人账户划入")))
        register_count_labels({"credited": _("划入人次")})
        register_person_panel(PersonPanel(order=20, render=person_panel_loader))
        register_posting_rules(*POSTING_RULES)
        for item in chronic_queue_items():
            register_queue_item(item)
