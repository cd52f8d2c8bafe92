from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("基金监管与操作日志")

    def ready(self) -> None:
        from . import (
            fraud,  # noqa: F401  (the fraud_scan job kind)
            receivers,  # noqa: F401  (login and failed-login events)
        )
        from .admin import _audit_third_party_admins
        from .credit_rating import credit_rating  # noqa: F401  (registers the "credit_rating" job kind)

        _audit_third_party_admins()
