"""门诊慢特病: the disease catalogue and each person's registration for it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel
from enrollment.models import Person


class DiseaseKind(models.TextChoices):
    """What cover a catalogue entry gives. 高血压 and 糖尿病 are not 门诊慢特病: 渝医保发〔2022〕25号 keeps them
    as their own outpatient medication cover ("继续做好高血压、糖尿病门诊用药保障")."""

    CHRONIC = "chronic", _("门诊慢特病")
    TWO_DISEASES = "two_diseases", _("两病门诊用药保障")


class ChronicDisease(models.Model):
    """One disease of the 门诊慢特病 catalogue; the list is reference data an admin maintains."""

    code = models.CharField(_("病种编码"), max_length=20, unique=True)
    name = models.CharField(_("病种名称"), max_length=100)
    active = models.BooleanField(_("有效"), default=True)
    source = models.CharField(_("依据"), max_length=200, blank=True)
    kind = models.CharField(_("保障类别"), max_length=20, choices=DiseaseKind.choices, default=DiseaseKind.CHRONIC)

    class Meta:
        verbose_name = _("门诊慢特病病种")
        verbose_name_plural = _("门诊慢特病病种")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ChronicRegistration(TimeStampedModel):
    """A person's approved registration for one chronic disease over a validity period."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("已撤销")

    person = models.ForeignKey(
        Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="chronic_registrations"
    )
    disease = models.ForeignKey(ChronicDisease, verbose_name=_("病种"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(_("待遇开始日期"))
    valid_to = models.DateField(_("待遇截止日期"), null=True, blank=True)
    certified_by = models.CharField(_("鉴定机构"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("门诊慢特病登记")
        verbose_name_plural = _("门诊慢特病登记")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "disease"],
                condition=models.Q(status="active"),
                name="one_active_chronic_registration",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="chronic_valid_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disease} {self.valid_from}"


class ChronicApplication(TimeStampedModel):
    """门诊慢特病申请: a person applies with the hospital's diagnosis and evidence; a reviewer assesses (评定),
    a second reviewer approves (审批), and approval creates the ChronicRegistration. Rejected at either step
    with a reason."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待评定")
        ASSESSED = "assessed", _("已评定待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    # The only moves an application may make.
    TRANSITIONS = {
        Status.SUBMITTED: {Status.ASSESSED, Status.REJECTED},
        Status.ASSESSED: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
    }
    OPEN = (Status.SUBMITTED, Status.ASSESSED)

    class Result(models.TextChoices):
        MEETS = "meets", _("符合认定条件")
        NOT_MEETS = "not_meets", _("不符合认定条件")

    person = models.ForeignKey(Person, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    disease = models.ForeignKey(ChronicDisease, verbose_name=_("病种"), on_delete=models.PROTECT, related_name="+")
    hospital = models.ForeignKey(
        "benefits.Institution", verbose_name=_("诊断医院"), on_delete=models.PROTECT, related_name="+"
    )
    diagnosis = models.CharField(_("诊断结论"), max_length=500)
    # One line per document handed in (诊断证明书, 病历, 检查报告 ...).
    evidence = models.JSONField(_("诊断材料"), default=list)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        "core.User", verbose_name=_("受理人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    assessment_result = models.CharField(_("评定结论"), max_length=10, choices=Result.choices, blank=True)
    assessment_reason = models.CharField(_("评定意见"), max_length=500, blank=True)
    assessed_by = models.ForeignKey(
        "core.User", verbose_name=_("评定人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(_("评定时间"), null=True, blank=True)
    decision_reason = models.CharField(_("审批意见"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        "core.User", verbose_name=_("审批人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    registration = models.OneToOneField(
        ChronicRegistration,
        verbose_name=_("门诊慢特病登记"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
    )

    class Meta:
        verbose_name = _("门诊慢特病申请")
        verbose_name_plural = _("门诊慢特病申请")
        ordering = ["-id"]
        indexes = [models.Index(fields=["district", "status", "-id"], name="chronic_application_queue_idx")]
        constraints = [
            # One open application per person and disease; a rejected one may be followed by a new one.
            models.UniqueConstraint(
                fields=["person", "disease"],
                condition=models.Q(status__in=["submitted", "assessed"]),
                name="one_open_chronic_application",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(registration__isnull=False),
                name="approved_chronic_application_has_registration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disease} {self.get_status_display()}"
