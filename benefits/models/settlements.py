"""医保结算: one visit or stay settled in three tiers, and the person's yearly running totals."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel
from enrollment.models import Enrollment, Person

from .institutions import Institution
from .policy import BenefitType
from .remote import RemoteRule

MONEY = {"max_digits": 12, "decimal_places": 2}
HALF_FEN = Decimal("0.005")
PARTS = (
    models.F("pooled_paid")
    + models.F("critical_paid")
    + models.F("aid_paid")
    + models.F("account_paid")
    + models.F("out_of_pocket")
)


class AnnualAccumulator(models.Model):
    """年度累计: one row per person and calendar year, carried across all of the year's settlements.

    Every settlement locks this row (SELECT ... FOR UPDATE) before it reads it, so two settlements of
    one person run one after the other and no cap is passed twice.
    """

    person = models.ForeignKey(Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    # Yearly deductibles borne, per benefit type (inpatient deductibles are per admission).
    deductible_outpatient = models.DecimalField(_("门诊起付已累计"), default=0, **MONEY)
    deductible_chronic = models.DecimalField(_("慢特病起付已累计"), default=0, **MONEY)
    deductible_pharmacy = models.DecimalField(_("药店起付已累计"), default=0, **MONEY)
    # Paid by the pooled fund against each benefit type's annual cap.
    pooled_outpatient = models.DecimalField(_("门诊统筹已支付"), default=0, **MONEY)
    pooled_chronic = models.DecimalField(_("慢特病统筹已支付"), default=0, **MONEY)
    pooled_inpatient = models.DecimalField(_("住院统筹已支付"), default=0, **MONEY)
    pooled_pharmacy = models.DecimalField(_("药店统筹已支付"), default=0, **MONEY)
    critical_base = models.DecimalField(_("大病保险累计基数"), default=0, **MONEY)
    critical_paid = models.DecimalField(_("大病保险已支付"), default=0, **MONEY)
    aid_base = models.DecimalField(_("医疗救助累计基数"), default=0, **MONEY)
    aid_paid = models.DecimalField(_("医疗救助已支付"), default=0, **MONEY)
    total_cost = models.DecimalField(_("医疗总费用"), default=0, **MONEY)
    out_of_pocket = models.DecimalField(_("个人自付累计"), default=0, **MONEY)
    settlement_count = models.PositiveIntegerField(_("结算次数"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("年度累计")
        verbose_name_plural = _("年度累计")
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="one_accumulator_per_person_year"),
            models.CheckConstraint(
                condition=models.Q(
                    pooled_outpatient__gte=0,
                    pooled_chronic__gte=0,
                    pooled_inpatient__gte=0,
                    pooled_pharmacy__gte=0,
                    critical_paid__gte=0,
                    aid_paid__gte=0,
                ),
                name="accumulator_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}"


class Settlement(TimeStampedModel):
    """One settlement. (institution, settlement_number) is the institution's own key, so a repeated
    request returns the first result instead of paying twice."""

    class Kind(models.TextChoices):
        DIRECT = "direct", _("联网结算")
        MANUAL = "manual", _("零星报销")

    class Status(models.TextChoices):
        SETTLED = "settled", _("已结算")
        REVERSED = "reversed", _("已冲正")

    institution = models.ForeignKey(
        Institution, verbose_name=_("定点医药机构"), on_delete=models.PROTECT, related_name="settlements"
    )
    settlement_number = models.CharField(_("结算单号"), max_length=40)
    kind = models.CharField(_("结算方式"), max_length=10, choices=Kind.choices, default=Kind.DIRECT)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SETTLED)
    person = models.ForeignKey(Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="settlements")
    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("参保登记"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The insuring district (the person's enrollment), whose staff handle and see the settlement.
    district = models.ForeignKey(
        District, verbose_name=_("参保区县"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    scheme = models.CharField(_("险种"), max_length=10)
    benefit_type = models.CharField(_("待遇类型"), max_length=12, choices=BenefitType.choices)
    institution_level = models.PositiveSmallIntegerField(_("医院等级"), default=0)
    chronic_disease = models.ForeignKey(
        "benefits.ChronicDisease",
        verbose_name=_("慢特病病种"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    diagnosis_code = models.CharField(_("主要诊断编码"), max_length=20, blank=True, help_text=_("ICD-10"))
    service_date = models.DateField(_("就诊/入院日期"))
    discharge_date = models.DateField(_("出院日期"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("结算年度"))
    total_cost = models.DecimalField(_("医疗总费用"), **MONEY)
    eligible_cost = models.DecimalField(_("政策范围内费用"), **MONEY)
    deductible_applied = models.DecimalField(_("本次起付标准"), **MONEY)
    pooled_paid = models.DecimalField(_("统筹基金支付"), **MONEY)
    critical_paid = models.DecimalField(_("大病保险支付"), **MONEY)
    aid_paid = models.DecimalField(_("医疗救助支付"), **MONEY)
    account_paid = models.DecimalField(_("个人账户支付"), **MONEY)
    out_of_pocket = models.DecimalField(_("个人自付"), **MONEY)
    aid_recipient = models.BooleanField(_("救助对象"), default=False)
    # Whose personal account paid (the person, or a family member's account under 家庭共济).
    account = models.ForeignKey(
        "benefits.PersonalAccount",
        verbose_name=_("支付账户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    policy = models.ForeignKey(
        "benefits.BenefitPolicy", verbose_name=_("适用待遇清单"), on_delete=models.PROTECT, related_name="+"
    )
    steps = models.JSONField(_("计算过程"), default=list)
    # The request as the institution sent it, to tell a retry from a conflicting reuse of the number.
    request_fingerprint = models.CharField(max_length=64, blank=True)
    settled_at = models.DateTimeField(_("结算时间"))
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(_("冲正时间"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        "core.User", verbose_name=_("冲正人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.CharField(_("冲正原因"), max_length=200, blank=True)
    # 异地就医 (our insured treated outside the city): the care area, the filing that covered the day, the
    # rule applied and the percentage points it took off the pooled ratio. Empty for care in the city.
    care_area_code = models.CharField(_("就医地区划代码"), max_length=6, blank=True, default="", db_default="")
    filing = models.ForeignKey(
        "benefits.RemoteCareFiling",
        verbose_name=_("异地就医备案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    remote_rule = models.CharField(
        _("异地就医规则"), max_length=10, choices=RemoteRule.choices, blank=True, default="", db_default=""
    )
    ratio_reduction = models.DecimalField(_("支付比例降低"), max_digits=5, decimal_places=4, default=0, db_default=0)
    # The cross-region platform's settlement number: its retries return the first result.
    platform_number = models.CharField(_("平台结算流水号"), max_length=40, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("医保结算")
        verbose_name_plural = _("医保结算")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["district", "-id"], name="settlement_district_idx"),
            models.Index(fields=["person", "service_date"], name="settlement_person_idx"),
            models.Index(fields=["institution", "service_date"], name="settlement_institution_idx"),
            # The settlement list, newest first, per filter it offers (one district and city-wide), and an
            # institution's own list: LIMIT stops after one page instead of walking the primary key.
            models.Index(fields=["institution", "-id"], name="settlement_inst_recent_idx"),
            models.Index(fields=["district", "year", "-id"], name="settlement_dist_year_idx"),
            models.Index(fields=["district", "status", "-id"], name="settlement_dist_status_idx"),
            models.Index(fields=["year", "-id"], name="settlement_year_idx"),
            models.Index(fields=["status", "-id"], name="settlement_status_idx"),
            # 结算单号 is unique per institution only; a search by number alone must not scan the year.
            models.Index(fields=["settlement_number"], name="settlement_number_idx"),
            # Clearing and the cross-region indicators read only settlements of care elsewhere.
            models.Index(
                fields=["care_area_code", "settled_at"],
                condition=~models.Q(care_area_code=""),
                name="settlement_remote_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["institution", "settlement_number"], name="one_settlement_number"),
            models.UniqueConstraint(
                fields=["platform_number"], condition=~models.Q(platform_number=""), name="one_platform_number"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    total_cost__gte=models.F("eligible_cost"),
                    eligible_cost__gte=0,
                    pooled_paid__gte=0,
                    critical_paid__gte=0,
                    aid_paid__gte=0,
                    account_paid__gte=0,
                    out_of_pocket__gte=0,
                ),
                name="settlement_amounts_valid",
            ),
            # The five parts always add up to the total cost. Within half a fen rather than "=" because
            # SQLite (the embedded demo database) sums decimals as floats; on PostgreSQL it is exact.
            models.CheckConstraint(
                condition=models.Q(total_cost__gt=PARTS - HALF_FEN, total_cost__lt=PARTS + HALF_FEN),
                name="settlement_parts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement_number} {self.total_cost}"

    @property
    def fund_paid(self):
        return self.pooled_paid + self.critical_paid + self.aid_paid
