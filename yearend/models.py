"""年度结转: what a closed year looked like, written once by the year-end rollover."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class YearEndSummary(models.Model):
    """One closed coverage year: enrollment, contribution, settlement and aid totals, per scheme.

    Written (and rewritten, identically) by `annual_rollover`; the figures are in `data`."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    data = models.JSONField(_("汇总数据"))
    run = models.ForeignKey(
        "core.JobRun", verbose_name=_("结转任务"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度结转汇总")
        verbose_name_plural = _("年度结转汇总")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}"
