from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.roles import (
    CAPABILITIES,
    CITY_WIDE_ROLES,
    DISTRICT_BOUND_ROLES,
    Role,
)


class User(AbstractUser):
    """A bureau staff member. `district` empty means city-wide scope."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    district = models.ForeignKey(
        "core.District",
        verbose_name=_("所属区县"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    # Institution role only: the designated institution whose system this account is.
    institution = models.ForeignKey(
        "benefits.Institution",
        verbose_name=_("定点医药机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_users",
    )

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(DISTRICT_BOUND_ROLES)) | models.Q(district__isnull=False),
                name="district_roles_have_district",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(CITY_WIDE_ROLES)) | models.Q(district__isnull=True),
                name="city_roles_have_no_district",
            ),
            models.CheckConstraint(
                condition=models.Q(role="institution", institution__isnull=False)
                | (~models.Q(role="institution") & models.Q(institution__isnull=True)),
                name="institution_role_has_institution",
            ),
        ]

    @property
    def is_city_wide(self) -> bool:
        return self.district_id is None

    def has_capability(self, capability: str) -> bool:
        return self.is_active and capability in CAPABILITIES.get(self.role, frozenset())

    # Municipal admins manage the system through the Django admin; their role grants
    # its permissions, so nobody has to keep Django's per-model permissions in step.
    def has_perm(self, perm: str, obj=None) -> bool:
        if self.is_active and self.role == Role.MUNICIPAL_ADMIN:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.role == Role.MUNICIPAL_ADMIN:
            return True
        return super().has_module_perms(app_label)

    @property
    def scope_label(self) -> str:
        return str(self.district) if self.district_id else str(_("全市"))
