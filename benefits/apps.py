from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = _("待遇结算")

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (batch-job kinds)
