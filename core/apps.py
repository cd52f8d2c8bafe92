from django.apps import AppConfig
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The floor: staff users, roles, access, the audit trail, job runs, reference data, shared helpers."""

    name = "core"
    verbose_name = _("系统基础")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .admin import audit_third_party_admins
        from .audit_chain import JOB_KIND, seal_on_save
        from .audit_checks import audit_verify_job
        from .jobs import JobKind, housekeeping, register_count_labels, register_jobs
        from .ledger_jobs import BACKFILL_KIND, RECONCILE_KIND, fund_books_backfill_job, fund_books_reconcile_job
        from .models import AuditEvent
        from .receivers import connect_login_receivers
        from .workqueue import core_queue_items, register_queue_item

        register_jobs(JobKind("housekeeping", housekeeping, _("系统清理（过期会话与登录失败计数）"), start="plain"))
        register_jobs(JobKind(JOB_KIND, audit_verify_job, _("操作日志完整性校验（哈希链）"), start="plain"))
        register_count_labels(
            {"checked_events": _("校验的事件"), "chain_length": _("链长（环）"), "chain_tip": _("链尾哈希")},
            kind=JOB_KIND,
        )
        register_jobs(
            JobKind(
                RECONCILE_KIND,
                fund_books_reconcile_job,
                _("基金账簿对账"),
                start="year",
                default_year=lambda: timezone.localdate().year,  # the nightly run's year
            ),  # fmt: skip
            JobKind(BACKFILL_KIND, fund_books_backfill_job, _("基金账簿补记"), start="plain"),
        )
        register_count_labels({"differences": _("差额处数"), "entries_posted": _("补记凭证数")})
        post_save.connect(seal_on_save, sender=AuditEvent, dispatch_uid="core.audit_chain.seal_on_save")
        for item in core_queue_items():
            register_queue_item(item)
        connect_login_receivers()
        audit_third_party_admins()
