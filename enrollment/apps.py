from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("参保登记")

    def ready(self) -> None:
        from core.importing.registry import register_importer
        from core.jobs import JobKind, register_jobs

        from .importing.pipeline import ENROLLEES_IMPORTER, import_apply_job, import_validate_job

        register_jobs(
            JobKind("import_validate", import_validate_job, _("参保人员名单校验")),
            JobKind("import_apply", import_apply_job, _("参保人员名单导入")),
        )
        register_importer(ENROLLEES_IMPORTER)
