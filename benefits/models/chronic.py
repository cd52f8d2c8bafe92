"""门诊慢特病: the disease catalogue and each person's registration for it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel
from enrollment.models import Person


class ChronicDisease(models.Model):
    """One disease of the 门诊慢特病 catalogue; the list is reference data an admin maintains."""

    code = models.CharField(_("病种编码"), max_length=20, unique=True)
    name = models.CharField(_("病种名称"), max_length=100)
    active = models.BooleanField(_("有效"), default=True)
    source = models.CharField(_("依据"), max_length=200, blank=True)

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
