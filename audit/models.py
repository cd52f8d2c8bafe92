from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import CAPABILITIES, CITY_WIDE_ROLES, DISTRICT_BOUND_ROLES, Role


class User(AbstractUser):
    """A bureau staff member. `district` empty means city-wide scope."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    district = models.ForeignKey(
        "enrollment.District",
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


class AuditEvent(models.Model):
    """操作日志: append-only. Services write it in the same transaction as the change.

    A database trigger rejects UPDATE and DELETE (see migration 0002), so not even
    a superuser with a SQL shell through the application role can rewrite history.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        STATUS = "status", _("状态变更")
        VIEW_SENSITIVE = "view_sensitive", _("查看敏感信息")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出")
        JOB = "job", _("批处理")
        IMPORT = "import", _("导入")

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "audit.User", verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept as text so the trail still reads right after a user is renamed or disabled.
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    district = models.ForeignKey(
        "enrollment.District", verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    old_values = models.JSONField(_("原值"), null=True, blank=True)
    new_values = models.JSONField(_("新值"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="auditevent_object_idx"),
            models.Index(fields=["district", "-id"], name="auditevent_district_idx"),
            models.Index(fields=["actor", "-id"], name="auditevent_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("AuditEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("AuditEvent is append-only")


class JobRun(models.Model):
    """One run of a batch job: who started it, when, progress, counts, outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("任务类型"), max_length=40, db_index=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    started_by = models.ForeignKey(
        "audit.User", verbose_name=_("发起人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "enrollment.District", verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    total = models.BigIntegerField(_("总量"), default=0)
    done = models.BigIntegerField(_("已完成"), default=0)
    counts = models.JSONField(_("计数"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("批处理运行记录")
        verbose_name_plural = _("批处理运行记录")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}


from .supervision_models import CreditRating, FraudRule, Inspection, Suspicion  # noqa: E402

__all__ = ["AuditEvent", "CreditRating", "FraudRule", "Inspection", "JobRun", "Suspicion", "User"]
