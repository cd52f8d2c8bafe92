"""异地就医: filings of our insured for care elsewhere, the rules per filing type, settlements of patients
insured elsewhere at our institutions (inbound), and the monthly clearing with each counterpart area.

"就医地目录、参保地政策、就医地管理": our insured treated elsewhere settle under our policy (a Settlement with
`care_area_code`), reduced by the filing's rule; patients of other areas treated here settle under their
area's terms as the platform supplies them (InboundSettlement), and our fund advances the money until the
month's Clearing is paid.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel
from enrollment.models import Person, Scheme

from .institutions import Institution
from .policy import BenefitType

MONEY = {"max_digits": 12, "decimal_places": 2}


class FilingType(models.TextChoices):
    RETIRED_ELSEWHERE = "retired_elsewhere", _("异地安置退休")
    LIVING_ELSEWHERE = "living_elsewhere", _("异地长期居住")
    WORKING_ELSEWHERE = "working_elsewhere", _("常驻异地工作")
    REFERRAL = "referral", _("转诊转院")
    EMERGENCY = "emergency", _("急诊抢救")
    OTHER_TEMPORARY = "other_temporary", _("其他临时外出")


LONG_TERM_TYPES = frozenset({FilingType.RETIRED_ELSEWHERE, FilingType.LIVING_ELSEWHERE, FilingType.WORKING_ELSEWHERE})


class RemoteRule(models.TextChoices):
    """Which rule a settlement of care outside the city was made under (printed on the statement)."""

    LONG_TERM = "long_term", _("长期异地备案")
    TEMPORARY = "temporary", _("临时外出备案")
    UNFILED = "unfiled", _("未备案")


class RemoteCareRule(TimeStampedModel):
    """Policy data per year and filing type (the policy file's `remote_care`): how much the pooled ratio
    drops for care elsewhere, how long a filing is valid, how long a long-term filing must stand before it
    may change, and which documents the counter checks (a self-service channel checks its own list, the
    person's 承诺书: 004 "简化异地就医备案要件"). `filing_type` "unfiled" carries the reduction without a filing.
    Versioned like every policy line; an empty source means a labelled configurable default."""

    UNFILED = "unfiled"
    TYPE_CHOICES = [*FilingType.choices, (UNFILED, _("未备案"))]

    year = models.PositiveSmallIntegerField(_("年度"))
    filing_type = models.CharField(_("备案类型"), max_length=20, choices=TYPE_CHOICES)
    ratio_reduction = models.DecimalField(
        _("支付比例降低"), max_digits=5, decimal_places=4, help_text=_("百分点，如 0.10 表示降低10个百分点")
    )
    valid_months = models.PositiveSmallIntegerField(
        _("备案有效期（月）"), default=0, help_text=_("0 表示长期有效至撤销")
    )
    min_months_before_change = models.PositiveSmallIntegerField(_("备案后最短变更间隔（月）"), default=0)
    required_documents = models.JSONField(_("窗口办理须查验的材料"), default=list, blank=True)
    self_service_documents = models.JSONField(_("自助办理须提供的材料"), default=list, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("异地就医政策")
        verbose_name_plural = _("异地就医政策")
        constraints = [
            models.UniqueConstraint(fields=["year", "filing_type", "version"], name="one_remote_care_rule_version"),
            models.CheckConstraint(
                condition=models.Q(ratio_reduction__gte=0, ratio_reduction__lte=1), name="remote_reduction_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_filing_type_display()} v{self.version}"

    @property
    def long_term(self) -> bool:
        return self.filing_type in LONG_TERM_TYPES


class RemoteCareFiling(TimeStampedModel):
    """异地就医备案 of one insured person of this city. Belongs to the person's district (its staff handle it);
    a change edits it (audited), a revocation ends it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("已撤销")

    class Channel(models.TextChoices):
        COUNTER = "counter", _("窗口办理")
        API = "api", _("系统接口")
        SELF_SERVICE = "self_service", _("自助办理")

    person = models.ForeignKey(Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, verbose_name=_("参保区县"), on_delete=models.PROTECT, related_name="+")
    scheme = models.CharField(_("险种"), max_length=10, choices=Scheme.choices)
    filing_type = models.CharField(_("备案类型"), max_length=20, choices=FilingType.choices)
    destination_code = models.CharField(_("就医地区划代码"), max_length=6)
    valid_from = models.DateField(_("备案开始日期"))
    valid_to = models.DateField(_("备案截止日期"), null=True, blank=True, help_text=_("空表示长期有效至撤销"))
    documents_checked = models.JSONField(_("已查验材料"), default=list, blank=True)
    channel = models.CharField(_("办理渠道"), max_length=15, choices=Channel.choices, default=Channel.COUNTER)
    rule = models.ForeignKey(RemoteCareRule, verbose_name=_("适用政策"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("最近变更时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("异地就医备案")
        verbose_name_plural = _("异地就医备案")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["district", "-id"], name="remote_filing_district_idx"),
            models.Index(fields=["person", "valid_from"], name="remote_filing_person_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="remote_filing_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_filing_type_display()} {self.destination_code} {self.valid_from}"

    @property
    def long_term(self) -> bool:
        return self.filing_type in LONG_TERM_TYPES

    def covers(self, on) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.valid_from <= on
            and (self.valid_to is None or on <= self.valid_to)
        )


class InboundSettlement(TimeStampedModel):
    """A patient insured elsewhere, settled at one of our institutions under their area's terms as the
    cross-region platform supplied them (not recomputed from our policy). What the fund share comes to is
    advanced by our fund and owed to us by the insured area until the month's clearing."""

    class Status(models.TextChoices):
        SETTLED = "settled", _("已结算")
        REVERSED = "reversed", _("已冲正")

    platform_number = models.CharField(_("平台结算流水号"), max_length=40, unique=True)
    institution = models.ForeignKey(
        Institution, verbose_name=_("定点医药机构"), on_delete=models.PROTECT, related_name="+"
    )
    # The institution's district: its staff handle these settlements.
    district = models.ForeignKey(District, verbose_name=_("就医区县"), on_delete=models.PROTECT, related_name="+")
    insured_area_code = models.CharField(_("参保地区划代码"), max_length=6)
    id_number = models.CharField(_("身份证号"), max_length=18)
    name = models.CharField(_("姓名"), max_length=50)
    scheme = models.CharField(_("险种"), max_length=10, choices=Scheme.choices)
    benefit_type = models.CharField(_("待遇类型"), max_length=12, choices=BenefitType.choices)
    service_date = models.DateField(_("就诊/入院日期"))
    discharge_date = models.DateField(_("出院日期"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("结算年度"))
    total_cost = models.DecimalField(_("医疗总费用"), **MONEY)
    eligible_cost = models.DecimalField(_("政策范围内费用"), **MONEY)
    # The insured area's terms as the platform message carried them: deductible, ratio, cap left, ...
    terms = models.JSONField(_("参保地待遇"), default=dict)
    pooled_paid = models.DecimalField(_("参保地统筹基金支付"), **MONEY)
    critical_paid = models.DecimalField(_("参保地大病保险支付"), default=0, **MONEY)
    out_of_pocket = models.DecimalField(_("个人自付"), **MONEY)
    steps = models.JSONField(_("计算过程"), default=list)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SETTLED)
    settled_at = models.DateTimeField(_("结算时间"))
    reversed_at = models.DateTimeField(_("冲正时间"), null=True, blank=True)
    reversal_reason = models.CharField(_("冲正原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("异地就医人员结算（就医地）")
        verbose_name_plural = _("异地就医人员结算（就医地）")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["district", "-id"], name="inbound_district_idx"),
            models.Index(fields=["insured_area_code", "settled_at"], name="inbound_area_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    total_cost__gte=models.F("eligible_cost"),
                    eligible_cost__gte=0,
                    pooled_paid__gte=0,
                    critical_paid__gte=0,
                    out_of_pocket__gte=0,
                ),
                name="inbound_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform_number} {self.total_cost}"

    @property
    def advanced(self):
        """What our fund advanced on the insured area's behalf."""
        return self.pooled_paid + self.critical_paid


class Clearing(TimeStampedModel):
    """清算单: one counterpart area and month. Payable: the fund share of our insured's direct settlements
    there; receivable: what our institutions advanced for that area's insured here. Drafted by the monthly
    job (regenerated while a draft), confirmed by both sides, then paid; payment posts to the fund books."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        PAID = "paid", _("已清算")

    area_code = models.CharField(_("对方统筹区"), max_length=6)
    month = models.DateField(_("清算月份"), help_text=_("该月1日"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    payable = models.DecimalField(_("应付（本市参保人员在对方就医）"), default=0, **MONEY)
    receivable = models.DecimalField(_("应收（对方参保人员在本市就医）"), default=0, **MONEY)
    payable_count = models.PositiveIntegerField(_("应付笔数"), default=0)
    receivable_count = models.PositiveIntegerField(_("应收笔数"), default=0)
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "core.User", verbose_name=_("确认人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_on = models.DateField(_("资金划拨日期"), null=True, blank=True)
    paid_by = models.ForeignKey(
        "core.User", verbose_name=_("划拨登记人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("异地就医清算单")
        verbose_name_plural = _("异地就医清算单")
        ordering = ["-month", "area_code"]
        constraints = [
            models.UniqueConstraint(fields=["area_code", "month"], name="one_clearing_per_area_month"),
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.month:%Y-%m}"

    @property
    def net(self):
        """Positive: we pay the counterpart; negative: it pays us."""
        return self.payable - self.receivable


class ClearingLine(models.Model):
    """One settlement (or its reversal, negative) on a clearing statement, with the fund shares it moves."""

    class Direction(models.TextChoices):
        PAYABLE = "payable", _("应付")
        RECEIVABLE = "receivable", _("应收")

    clearing = models.ForeignKey(Clearing, verbose_name=_("清算单"), on_delete=models.CASCADE, related_name="lines")
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    settlement = models.ForeignKey(
        "benefits.Settlement", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    inbound = models.ForeignKey(
        InboundSettlement, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reversal = models.BooleanField(_("冲正"), default=False)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", db_index=False)
    scheme = models.CharField(_("险种"), max_length=10)
    pooled = models.DecimalField(_("统筹基金"), **MONEY)
    critical = models.DecimalField(_("大病保险/大额医疗互助"), **MONEY)
    aid = models.DecimalField(_("医疗救助"), default=0, **MONEY)
    amount = models.DecimalField(_("金额"), **MONEY)

    class Meta:
        verbose_name = _("清算明细")
        verbose_name_plural = _("清算明细")
        indexes = [models.Index(fields=["clearing", "direction"], name="clearing_line_idx")]
        constraints = [
            # A settlement is cleared once when settled and once when reversed, never twice either way.
            models.UniqueConstraint(fields=["settlement", "reversal"], name="one_clearing_line_per_settlement"),
            models.UniqueConstraint(fields=["inbound", "reversal"], name="one_clearing_line_per_inbound"),
            models.CheckConstraint(
                condition=models.Q(direction="payable", settlement__isnull=False, inbound__isnull=True)
                | models.Q(direction="receivable", settlement__isnull=True, inbound__isnull=False),
                name="clearing_line_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clearing_id} {self.direction} {self.amount}"
