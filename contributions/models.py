from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel
from enrollment.models import (
    Category,
    Enrollment,
    Person,
    Scheme,
)


class ContributionStandard(models.Model):
    """筹资标准 per year x scheme x category x tier."""

    year = models.PositiveSmallIntegerField(_("年度"))
    scheme = models.CharField(_("险种"), max_length=10, choices=Scheme.choices)
    category = models.CharField(_("人员类别"), max_length=10, choices=Category.choices)
    tier = models.PositiveSmallIntegerField(_("档次"), null=True, blank=True)
    individual_amount = models.DecimalField(_("个人缴费"), max_digits=10, decimal_places=2, default=0)
    fiscal_subsidy = models.DecimalField(_("财政补助"), max_digits=10, decimal_places=2, default=0)
    employer_rate = models.DecimalField(_("单位缴费费率"), max_digits=6, decimal_places=4, default=0)
    individual_rate = models.DecimalField(_("个人缴费费率"), max_digits=6, decimal_places=4, default=0)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("政策文件；空表示可配置的默认值，需经办机构确认")
    )

    class Meta:
        verbose_name = _("筹资标准")
        verbose_name_plural = _("筹资标准")
        constraints = [
            # Two partial constraints rather than NULLS NOT DISTINCT, which SQLite lacks.
            models.UniqueConstraint(
                fields=["year", "scheme", "category", "tier"],
                condition=models.Q(tier__isnull=False),
                name="one_standard_per_tier",
            ),
            models.UniqueConstraint(
                fields=["year", "scheme", "category"],
                condition=models.Q(tier__isnull=True),
                name="one_standard_without_tier",
            ),
            models.CheckConstraint(
                condition=models.Q(individual_amount__gte=0, fiscal_subsidy__gte=0), name="standard_amounts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_scheme_display()} {self.get_category_display()} {self.tier or ''}"


class CoverageWindow(models.Model):
    """集中参保期 and 待遇等待期 of one resident coverage year.

    A resident bill paid in full by the window's end covers the whole benefit period; paid later, cover
    starts `waiting_days` after the payment day. Employees are not bound by it: no seed gives employees
    an enrollment window (their cover follows the enrollment).
    """

    year = models.PositiveSmallIntegerField(_("参保年度"), unique=True)
    window_start = models.DateField(_("集中参保期开始日期"))
    window_end = models.DateField(_("集中参保期截止日期"))
    waiting_days = models.PositiveSmallIntegerField(_("待遇等待期（天）"))
    source = models.CharField(_("集中参保期依据"), max_length=200)
    waiting_source = models.CharField(
        _("等待期依据"), max_length=200, help_text=_("政策文件；种子文件未规定的写“可配置默认值”")
    )

    class Meta:
        verbose_name = _("集中参保期与等待期")
        verbose_name_plural = _("集中参保期与等待期")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gte=models.F("window_start")), name="coverage_window_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.window_start}~{self.window_end}"


class ContributionBill(TimeStampedModel):
    """缴费单: what one person owes for one coverage year, and what was paid."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("未缴")
        PARTIAL = "partial", _("部分缴费")
        PAID = "paid", _("已缴")

    # No single-column indexes on person and district: the unique (person, coverage_year) and bill_scope_idx
    # lead with them and serve the same lookups; each extra index slows the yearly batch of 18M bills.
    person = models.ForeignKey(
        Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="bills", db_index=False
    )
    enrollment = models.ForeignKey(Enrollment, verbose_name=_("参保登记"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(
        District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    coverage_year = models.PositiveSmallIntegerField(_("参保年度"))
    scheme = models.CharField(_("险种"), max_length=10, choices=Scheme.choices)
    due_amount = models.DecimalField(_("应缴金额"), max_digits=12, decimal_places=2)
    subsidy_amount = models.DecimalField(_("资助参保金额"), max_digits=12, decimal_places=2, default=0)
    paid_amount = models.DecimalField(_("已缴金额"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.UNPAID)
    # For the fund books: the employer's share of the due amount (employees), the year's fiscal subsidy
    # for this person (residents, from the standard; income of the fund once the bill is paid), and the
    # day the bill became fully paid (the fiscal subsidy's accounting date).
    employer_due = models.DecimalField(_("其中单位缴费"), max_digits=12, decimal_places=2, default=0)
    fiscal_subsidy = models.DecimalField(_("财政补助"), max_digits=12, decimal_places=2, default=0)
    paid_on = models.DateField(_("缴清日期"), null=True, blank=True)
    # 待遇起始日: the first day of care this bill pays for, set when it becomes fully paid (start of the
    # benefit period, or after the waiting period when paid after the enrollment window; CoverageWindow).
    cover_from = models.DateField(_("待遇起始日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("缴费单")
        verbose_name_plural = _("缴费单")
        ordering = ["-coverage_year", "-id"]
        indexes = [models.Index(fields=["district", "coverage_year", "status"], name="bill_scope_idx")]
        constraints = [
            models.UniqueConstraint(fields=["person", "coverage_year"], name="one_bill_per_person_year"),
            models.CheckConstraint(
                condition=models.Q(due_amount__gte=0, subsidy_amount__gte=0, paid_amount__gte=0),
                name="bill_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_amount__lte=models.F("due_amount") - models.F("subsidy_amount")),
                name="bill_not_overpaid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coverage_year} {self.get_scheme_display()} {self.due_amount}"

    @property
    def outstanding(self):
        return self.due_amount - self.subsidy_amount - self.paid_amount


class ContributionPayment(models.Model):
    """One payment against a bill; `reference` (缴费流水号) makes recording it idempotent."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("窗口")
        API = "api", _("接口")
        FILE = "file", _("文件导入")
        TAX = "tax", _("税务代征")

    # No database constraint: on PostgreSQL bills are partitioned by coverage year, and a key must then name
    # the year too (the bill's id alone is unique by its sequence, not by an index). PROTECT still guards
    # deletes through the ORM, and bills are never deleted.
    bill = models.ForeignKey(
        ContributionBill,
        verbose_name=_("缴费单"),
        on_delete=models.PROTECT,
        related_name="payments",
        db_constraint=False,
    )
    amount = models.DecimalField(_("缴费金额"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("缴费日期"))
    reference = models.CharField(_("缴费流水号"), max_length=64, unique=True)
    channel = models.CharField(_("缴费渠道"), max_length=10, choices=Channel.choices)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    # Provenance of file-imported payments; batches are never deleted (no constraint needed).
    import_batch = models.ForeignKey(
        "core.ImportBatch",
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    recorded_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("缴费记录")
        verbose_name_plural = _("缴费记录")
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"
