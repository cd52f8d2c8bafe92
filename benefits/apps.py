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
        from .clearing_jobs import COUNT_LABELS as CLEARING_COUNTS
        from .clearing_jobs import KIND as CLEARING_KIND
        from .clearing_jobs import remote_clearing
        from .jobs import account_credits
        from .person_views import person_panel_loader
        from .postings import POSTING_RULES
        from .remote_filing_panel import remote_filing_panel

        register_jobs(JobKind("account_credits", account_credits, _("个人账户划入")))
        register_count_labels({"credited": _("划入人次")})
        register_jobs(JobKind(CLEARING_KIND, remote_clearing, _("异地就医月度清算")))
        register_count_labels(CLEARING_COUNTS, kind=CLEARING_KIND)
        register_person_panel(PersonPanel(order=20, render=person_panel_loader))
        register_person_panel(PersonPanel(order=25, render=remote_filing_panel))
        register_posting_rules(*POSTING_RULES)
        for item in chronic_queue_items():
            register_queue_item(item)
