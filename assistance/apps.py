from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "assistance"
    verbose_name = _("医疗救助")

    def ready(self) -> None:
        from . import alerts, jobs  # noqa: F401  (batch-job kinds)
