from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YearendConfig(AppConfig):
    """Year-end orchestration: the annual collection, the rollover and their schedules."""

    name = "yearend"
    verbose_name = _("年度批处理")

    def ready(self) -> None:
        from contributions.selectors import coverage_year_default
        from core.jobs import JobKind, register_jobs

        from .jobs import annual_collection, annual_rollover

        register_jobs(
            JobKind(
                "annual_collection",
                annual_collection,
                _("年度缴费征收（居民缴费单、资助参保、个人账户划入计划）"),
                start="year",
                default_year=coverage_year_default,
            ),
            JobKind(
                "annual_rollover",
                annual_rollover,
                _("年度结转（毕业生、个人账户划入补齐、开启下一年度、年度汇总）"),
                start="year",
                default_year=coverage_year_default,
            ),
        )
