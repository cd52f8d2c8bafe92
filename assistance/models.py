"""Medical aid (医疗救助): who is a recipient, what each category gets, applications and alerts."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel
from enrollment.models import Person
from enrollment.validators import mask_id_number

MONEY = {"max_digits": 12, "decimal_places": 2}


class AidCategory(models.TextChoices):
    DESTITUTE = "destitute", _("特困人员")
    SUBSISTENCE = "subsistence", _("低保对象")
    RELAPSED_POOR = "relapsed_poor", _("返贫致贫人口")
    MONITORED = "monitored", _("监测对象")
    NEAR_SUBSISTENCE = "near_subsistence", _("低保边缘家庭成员")
    LIFTED_POOR = "lifted_poor", _("脱贫人口")


class AidRecipient(TimeStampedModel):
    """医疗救助对象: one person in one category over a validity period, from an authority's list."""

    class Source(models.TextChoices):
        CIVIL_AFFAIRS = "civil_affairs", _("民政部门")
        RURAL_REVITALISATION = "rural", _("乡村振兴部门")
        BUREAU = "bureau", _("医保部门认定")

    person = models.ForeignKey(Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="aid_records")
    category = models.CharField(_("救助类别"), max_length=20, choices=AidCategory.choices)
    valid_from = models.DateField(_("认定开始日期"))
    valid_to = models.DateField(_("认定截止日期"), null=True, blank=True)
    source = models.CharField(_("数据来源"), max_length=20, choices=Source.choices)
    district = models.ForeignKey(District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
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

    class Meta:
        verbose_name = _("医疗救助对象")
        verbose_name_plural = _("医疗救助对象")
        ordering = ["-valid_from", "-id"]
        indexes = [
            models.Index(fields=["person", "valid_from"], name="aid_recipient_person_idx"),
            models.Index(fields=["district", "-id"], name="aid_recipient_district_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "category", "valid_from"], name="one_aid_record_per_start"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="aid_valid_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.valid_from}"


class AidPolicy(TimeStampedModel):
    """What one category gets in one year: the contribution subsidy, the settlement tilt and the aid."""

    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("救助类别"), max_length=20, choices=AidCategory.choices)
    # Contribution subsidy (资助参保): a share of the resident individual contribution (1 = full).
    subsidy_ratio = models.DecimalField(_("资助参保比例"), max_digits=5, decimal_places=4, default=0)
    subsidy_amount = models.DecimalField(_("资助参保定额"), default=0, **MONEY)
    tilt = models.BooleanField(_("大病保险倾斜支付"), default=False)
    aid_ratio = models.DecimalField(_("救助比例"), max_digits=5, decimal_places=4, default=0)
    aid_deductible = models.DecimalField(_("救助起付标准"), default=0, **MONEY)
    aid_annual_limit = models.DecimalField(_("年度救助限额"), default=0, **MONEY)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("政策文件；空表示可配置的默认值，需经办机构确认")
    )

    class Meta:
        verbose_name = _("医疗救助政策")
        verbose_name_plural = _("医疗救助政策")
        constraints = [
            models.UniqueConstraint(fields=["year", "category"], name="one_aid_policy_per_year_category"),
            models.CheckConstraint(
                condition=models.Q(subsidy_ratio__gte=0, subsidy_ratio__lte=1, aid_ratio__gte=0, aid_ratio__lte=1),
                name="aid_policy_ratios_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_category_display()}"


class AidApplication(TimeStampedModel):
    """依申请救助: a person applies for aid on costs still heavy after the three tiers."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        REVIEWED = "reviewed", _("已初审")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        PAID = "paid", _("已支付")

    # The only moves an application may make.
    TRANSITIONS = {
        Status.SUBMITTED: {Status.REVIEWED, Status.REJECTED},
        Status.REVIEWED: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: {Status.PAID},
        Status.REJECTED: set(),
        Status.PAID: set(),
    }

    person = models.ForeignKey(Person, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    requested_amount = models.DecimalField(_("申请金额"), **MONEY)
    approved_amount = models.DecimalField(_("批准金额"), null=True, blank=True, **MONEY)
    reason = models.CharField(_("申请事由"), max_length=500)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    decision_reason = models.CharField(_("审核意见"), max_length=500, blank=True)
    submitted_by = models.ForeignKey(
        "core.User", verbose_name=_("受理人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        "core.User", verbose_name=_("审批人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_on = models.DateField(_("支付日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("依申请救助")
        verbose_name_plural = _("依申请救助")
        ordering = ["-id"]
        indexes = [models.Index(fields=["district", "status", "-id"], name="aid_application_queue_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(requested_amount__gt=0), name="aid_application_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.requested_amount} {self.get_status_display()}"


class HighCostAlert(TimeStampedModel):
    """高额费用负担预警: a person's yearly out-of-pocket passed the threshold. One per person and year."""

    class Status(models.TextChoices):
        OPEN = "open", _("待跟进")
        HANDLED = "handled", _("已帮扶")
        CLOSED = "closed", _("无需帮扶")

    person = models.ForeignKey(Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    out_of_pocket = models.DecimalField(_("年度个人负担"), **MONEY)
    threshold = models.DecimalField(_("预警线"), **MONEY)
    aid_recipient = models.BooleanField(_("救助对象"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("跟进情况"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("高额费用负担预警")
        verbose_name_plural = _("高额费用负担预警")
        ordering = ["-id"]
        indexes = [models.Index(fields=["district", "status", "-id"], name="high_cost_alert_queue_idx")]
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="one_high_cost_alert_per_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.out_of_pocket}"


class AidEnrollmentItem(TimeStampedModel):
    """待参保: a person on an authority's aid list who is not registered yet (002: "确保应保尽保、应助尽助").

    The list import puts them here instead of refusing the row; a clerk of the item's district enrolls them
    (person, resident enrollment, aid record and the year's bill with its 资助参保, in one go), which closes
    the item with a link to the person. Until then they count as not insured in the 资助参保率."""

    class Status(models.TextChoices):
        OPEN = "open", _("待参保")
        ENROLLED = "enrolled", _("已参保")
        DISMISSED = "dismissed", _("已核销")

    # The only moves an item may make; both ends are final.
    TRANSITIONS = {
        Status.OPEN: {Status.ENROLLED, Status.DISMISSED},
        Status.ENROLLED: set(),
        Status.DISMISSED: set(),
    }

    id_number = models.CharField(_("身份证号"), max_length=18)
    name = models.CharField(_("姓名"), max_length=50)
    category = models.CharField(_("救助类别"), max_length=20, choices=AidCategory.choices)
    valid_from = models.DateField(_("认定开始日期"))
    valid_to = models.DateField(_("认定截止日期"), null=True, blank=True)
    source = models.CharField(_("数据来源"), max_length=20, choices=AidRecipient.Source.choices)
    district = models.ForeignKey(District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
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
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    person = models.ForeignKey(
        Person, verbose_name=_("参保人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("办理说明"), max_length=500, blank=True)
    closed_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待参保救助对象")
        verbose_name_plural = _("待参保救助对象")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["district", "status", "-id"], name="aid_enroll_item_queue_idx"),
            models.Index(fields=["id_number"], name="aid_enroll_item_id_number_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "id_number", "category", "valid_from"], name="one_aid_enroll_item_per_start"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="aid_enroll_item_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="enrolled") | models.Q(person__isnull=False),
                name="aid_enroll_item_enrolled_has_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.valid_from} {self.get_status_display()}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)
