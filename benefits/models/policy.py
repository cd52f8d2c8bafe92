"""Benefit policy (待遇清单) as versioned data."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from enrollment.models import Category, Scheme


class BenefitType(models.TextChoices):
    OUTPATIENT = "outpatient", _("普通门诊统筹")
    CHRONIC = "chronic", _("门诊慢特病")
    INPATIENT = "inpatient", _("住院")
    PHARMACY = "pharmacy", _("药店购药")


class BenefitPolicy(TimeStampedModel):
    """One line of the benefit list: deductible, ratio and annual cap for a year, scheme, category,
    tier, benefit type and institution level. An empty category and tier or level 0 mean "any"
    (not NULL, so one unique constraint holds on every database); the most specific line wins.
    A change is a new version; old versions stay for the settlements made under them.
    """

    class DeductiblePer(models.TextChoices):
        YEAR = "year", _("每年")
        ADMISSION = "admission", _("每次住院")

    year = models.PositiveSmallIntegerField(_("年度"))
    scheme = models.CharField(_("险种"), max_length=10, choices=Scheme.choices)
    category = models.CharField(_("人员类别"), max_length=10, choices=Category.choices, blank=True)
    tier = models.PositiveSmallIntegerField(_("档次"), default=0, help_text=_("0 表示不分档次"))
    benefit_type = models.CharField(_("待遇类型"), max_length=12, choices=BenefitType.choices)
    institution_level = models.PositiveSmallIntegerField(
        _("医院等级"), default=0, help_text=_("1/2/3 为一级/二级/三级医院；0 表示不分等级（含药店）")
    )
    deductible = models.DecimalField(_("起付标准"), max_digits=10, decimal_places=2)
    deductible_per = models.CharField(_("起付方式"), max_length=10, choices=DeductiblePer.choices)
    ratio = models.DecimalField(_("支付比例"), max_digits=5, decimal_places=4)
    annual_cap = models.DecimalField(_("年度支付限额"), max_digits=12, decimal_places=2)
    version = models.PositiveIntegerField(_("版本"), default=1)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("政策文件；空表示可配置的默认值，需经办机构确认")
    )

    class Meta:
        verbose_name = _("待遇清单")
        verbose_name_plural = _("待遇清单")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "scheme", "category", "tier", "benefit_type", "institution_level", "version"],
                name="one_benefit_policy_version",
            ),
            models.CheckConstraint(
                condition=models.Q(tier__lte=2, institution_level__lte=3), name="benefit_tier_level"
            ),
            models.CheckConstraint(condition=models.Q(ratio__gte=0, ratio__lte=1), name="benefit_ratio_0_1"),
            models.CheckConstraint(
                condition=models.Q(deductible__gte=0, annual_cap__gte=0), name="benefit_amounts_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.scheme} {self.category or '*'} {self.benefit_type} v{self.version}"


class CriticalIllnessPolicy(TimeStampedModel):
    """大病保险 / 大额医疗 for a year and scheme: yearly deductible, bands, tilt for aid recipients."""

    year = models.PositiveSmallIntegerField(_("年度"))
    scheme = models.CharField(_("险种"), max_length=10, choices=Scheme.choices)
    deductible = models.DecimalField(_("起付标准"), max_digits=10, decimal_places=2)
    # [{"upper": "100000.00" or null, "ratio": "0.60"}, ...] on the yearly amount above the deductible
    bands = models.JSONField(_("分段支付比例"))
    annual_cap = models.DecimalField(_("年度支付限额"), max_digits=12, decimal_places=2, null=True, blank=True)
    tilt_deductible_factor = models.DecimalField(_("倾斜：起付线系数"), max_digits=4, decimal_places=3)
    tilt_ratio_bonus = models.DecimalField(_("倾斜：比例提高"), max_digits=4, decimal_places=3)
    version = models.PositiveIntegerField(_("版本"), default=1)
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("大病保险政策")
        verbose_name_plural = _("大病保险政策")
        constraints = [
            models.UniqueConstraint(fields=["year", "scheme", "version"], name="one_critical_policy_version")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.scheme} 大病 v{self.version}"
