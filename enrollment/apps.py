from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("参保登记")

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (batch-job kinds)
