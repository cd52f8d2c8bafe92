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

    普通门诊统筹 is one pot: its hospital (`outpatient`) and pharmacy (`pharmacy`) lines are channels of it,
    with their own ratios; the pot's deductible and cap are those of its hospital line at level 0
    (benefits/policy_format.py). A 门诊慢特病 line may name a disease (`disease_code`, "" for any) and
    may say `like_inpatient`: that disease settles on the inpatient line (001: "可参照住院待遇进行管理").
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
    disease_code = models.CharField(
        _("慢特病病种编码"), max_length=20, blank=True, default="", help_text=_("仅门诊慢特病；空表示不分病种")
    )
    like_inpatient = models.BooleanField(
        _("参照住院待遇"), default=False, help_text=_("该病种按住院的起付标准、比例和限额结算")
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("政策文件；空表示可配置的默认值，需经办机构确认")
    )

    class Meta:
        verbose_name = _("待遇清单")
        verbose_name_plural = _("待遇清单")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "year",
                    "scheme",
                    "category",
                    "tier",
                    "benefit_type",
                    "institution_level",
                    "disease_code",
                    "version",
                ],  # fmt: skip
                name="one_benefit_policy_version",
            ),
            models.CheckConstraint(
                condition=models.Q(tier__lte=2, institution_level__lte=3), name="benefit_tier_level"
            ),
            models.CheckConstraint(condition=models.Q(ratio__gte=0, ratio__lte=1), name="benefit_ratio_0_1"),
            models.CheckConstraint(
                condition=models.Q(deductible__gte=0, annual_cap__gte=0), name="benefit_amounts_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(benefit_type="chronic") | models.Q(disease_code="", like_inpatient=False),
                name="benefit_disease_terms_chronic_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.scheme} {self.category or '*'} {self.benefit_type} v{self.version}"


class CriticalIllnessPolicy(TimeStampedModel):
    """Tier 2 for a year and scheme: 大病保险 for residents, 职工大额医疗互助 for employees (financed
    separately: 001 names "职工大额医疗互助保险缴费"). Yearly deductible, bands, tilt for aid recipients."""

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
        verbose_name = _("大病保险（居民）/ 职工大额医疗互助政策")
        verbose_name_plural = _("大病保险（居民）/ 职工大额医疗互助政策")
        constraints = [
            models.UniqueConstraint(fields=["year", "scheme", "version"], name="one_critical_policy_version")
        ]

    @property
    def label(self) -> str:
        return critical_label(self.scheme)

    def __str__(self) -> str:
        return f"{self.year} {self.label} v{self.version}"


def critical_label(scheme: str) -> str:
    """The glossary name of tier 2: residents 大病保险, employees 职工大额医疗互助."""
    return "职工大额医疗互助" if scheme == Scheme.EMPLOYEE else "大病保险"


class ClaimAidRatio(TimeStampedModel):
    """医疗救助 ratio for one claim type in a year. Null: the aid category's own ratio (AidPolicy); a
    figure: that ratio for every category (0: no aid on this claim type, e.g. pharmacy purchases)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    benefit_type = models.CharField(_("待遇类型"), max_length=12, choices=BenefitType.choices)
    ratio = models.DecimalField(
        _("救助比例"), max_digits=5, decimal_places=4, null=True, blank=True, help_text=_("空表示按救助类别的比例")
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("医疗救助比例（按待遇类型）")
        verbose_name_plural = _("医疗救助比例（按待遇类型）")
        constraints = [
            models.UniqueConstraint(fields=["year", "benefit_type", "version"], name="one_claim_aid_ratio_version"),
            models.CheckConstraint(
                condition=models.Q(ratio__isnull=True) | models.Q(ratio__gte=0, ratio__lte=1),
                name="claim_aid_ratio_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.benefit_type} 救助比例 v{self.version}"
