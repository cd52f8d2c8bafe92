from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The floor: staff users, roles, access, the audit trail, job runs, reference data, shared helpers."""

    name = "core"
    verbose_name = _("系统基础")

    def ready(self) -> None:
        from .admin import audit_third_party_admins
        from .jobs import JobKind, housekeeping, register_jobs
        from .receivers import connect_login_receivers
        from .workqueue import core_queue_items, register_queue_item

        register_jobs(JobKind("housekeeping", housekeeping, _("系统清理（过期会话与登录失败计数）"), start="plain"))
        for item in core_queue_items():
            register_queue_item(item)
        connect_login_receivers()
        audit_third_party_admins()
