from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    """A 区县 of the city, keyed by its 6-digit administrative division code."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("区")
        COUNTY = "county", _("县")
        ZONE = "zone", _("功能区")

    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    gb2260 = models.BooleanField(
        _("国标代码"),
        default=True,
        help_text=_("否表示该代码由医保部门分配（功能区不在 GB/T 2260 中）"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("区县")
        verbose_name_plural = _("区县")
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^[0-9]{6}$"), name="district_code_6_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
