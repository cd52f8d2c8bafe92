"""定点医药机构: the hospitals and pharmacies that settle with the fund under an agreement."""

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel


class Institution(TimeStampedModel):
    """Code: H (hospital) or P (pharmacy) + the 6-digit district code + a 5-digit sequence = 12 chars."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("定点医疗机构")
        PHARMACY = "pharmacy", _("定点零售药店")

    class AgreementStatus(models.TextChoices):
        ACTIVE = "active", _("协议有效")
        SUSPENDED = "suspended", _("暂停结算")
        TERMINATED = "terminated", _("解除协议")

    code = models.CharField(_("机构编码"), max_length=12, unique=True)
    name = models.CharField(_("机构名称"), max_length=200)
    kind = models.CharField(_("机构类型"), max_length=10, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("医院等级"), default=0, help_text=_("1/2/3 为一级/二级/三级；药店为 0"))
    # Empty for the city's designated institutions. An institution elsewhere (known from 异地就医 settlements
    # and reimbursements, by its national code) has its area's division code here and no district.
    area_code = models.CharField(_("所在地区划代码"), max_length=6, blank=True, default="", db_default="")
    district = models.ForeignKey(
        District, verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreement_status = models.CharField(
        _("协议状态"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE
    )
    agreement_start = models.DateField(_("协议开始日期"))
    agreement_end = models.DateField(_("协议截止日期"), null=True, blank=True)
    # Credit-rating consequences (信用评价结果运用), set by the yearly rating job in audit, read here by the
    # settlement service through `benefits.institution_holds`, which may not import audit.
    on_inspection_list = models.BooleanField(_("列入重点检查名单"), default=False)
    settlement_review_from = models.DateField(
        _("暂缓结算起始日期"), null=True, blank=True, help_text=_("自该日起的结算暂缓，逐笔审核")
    )
    credit_measure_reason = models.CharField(_("信用措施原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("定点医药机构")
        verbose_name_plural = _("定点医药机构")
        ordering = ["code"]
        indexes = [models.Index(fields=["district", "-id"], name="institution_district_idx")]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("code"), 12), name="institution_code_length"),
            models.CheckConstraint(
                condition=models.Q(kind="hospital", code__startswith="H", level__in=[1, 2, 3])
                | models.Q(kind="pharmacy", code__startswith="P", level=0),
                name="institution_kind_code_level",
            ),
            models.CheckConstraint(
                condition=models.Q(area_code="", district__isnull=False)
                | (~models.Q(area_code="") & models.Q(district__isnull=True)),
                name="institution_here_or_elsewhere",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def level_label(self) -> str:
        return {1: _("一级"), 2: _("二级"), 3: _("三级")}.get(self.level, "—")
