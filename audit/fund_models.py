"""Fund budgets (基金预算) and risk-warning rules (风险预警规则) as data, read with the fund books."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Fund, LedgerAccount, TimeStampedModel


class FundBudget(TimeStampedModel):
    """One budget line: a fund's income or expense account for a year (city-wide: the pooling area's budget)."""

    fund = models.ForeignKey(Fund, verbose_name=_("基金"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    account = models.ForeignKey(LedgerAccount, verbose_name=_("科目"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("预算金额"), max_digits=16, decimal_places=2)
    updated_by = models.ForeignKey(
        "core.User", verbose_name=_("编制人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("基金预算")
        verbose_name_plural = _("基金预算")
        ordering = ["year", "fund", "account"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "year", "account"], name="one_budget_line"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.account}"


class FundRiskRule(TimeStampedModel):
    """One warning rule. `fund` empty: every fund. The thresholds are configurable defaults, not seed
    figures (003/004 ask for 风险预警 without numbers); the page shows each warning with its rule."""

    class Kind(models.TextChoices):
        MONTHS_BELOW = "months_below", _("累计结余可支付月数低于")
        MONTHS_ABOVE = "months_above", _("累计结余可支付月数高于（结余过多）")
        CURRENT_DEFICIT = "current_deficit", _("当年收不抵支")
        BUDGET_DEVIATION = "budget_deviation", _("预算执行偏离超过")

    class Level(models.TextChoices):
        RED = "red", _("红色预警")
        YELLOW = "yellow", _("黄色预警")

    fund = models.ForeignKey(
        Fund, verbose_name=_("基金"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("规则"), max_length=20, choices=Kind.choices)
    threshold = models.DecimalField(_("阈值"), max_digits=8, decimal_places=2, default=0)
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices)
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("基金风险预警规则")
        verbose_name_plural = _("基金风险预警规则")
        ordering = ["kind", "threshold"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.threshold}"
