"""Staff roles and what each may do. One table, read by every view and endpoint."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_CLERK = "district_clerk", _("区县经办员")
    DISTRICT_REVIEWER = "district_reviewer", _("区县审核员")
    MUNICIPAL_ADMIN = "municipal_admin", _("市级管理员")
    FUND_SUPERVISOR = "fund_supervisor", _("基金监管员")
    AUDITOR = "auditor", _("只读审计员")
    INSTITUTION = "institution", _("定点机构接口")
    REMOTE_PLATFORM = "remote_platform", _("跨区域结算平台接口")
    SELF_SERVICE = "self_service", _("自助服务渠道接口")


class Capability(models.TextChoices):
    VIEW = "view", _("查看业务记录")
    EDIT = "edit", _("登记与修改业务记录")
    REVIEW = "review", _("审核")
    VIEW_AUDIT = "view_audit", _("查看操作日志")
    SUPERVISE = "supervise", _("基金监管")
    ADMINISTER = "administer", _("系统管理与批处理")
    UNMASK = "unmask", _("查看完整身份证号")
    SETTLE = "settle", _("定点机构联网结算")
    REMOTE_SETTLE = "remote_settle", _("跨区域平台结算")
    SELF_SERVICE = "self_service", _("自助渠道办理备案")


CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DISTRICT_CLERK: frozenset({Capability.VIEW, Capability.EDIT, Capability.UNMASK}),
    Role.DISTRICT_REVIEWER: frozenset(
        {Capability.VIEW, Capability.EDIT, Capability.REVIEW, Capability.VIEW_AUDIT, Capability.UNMASK}
    ),
    Role.MUNICIPAL_ADMIN: frozenset(
        {
            Capability.VIEW,
            Capability.EDIT,
            Capability.REVIEW,
            Capability.VIEW_AUDIT,
            Capability.SUPERVISE,
            Capability.ADMINISTER,
            Capability.UNMASK,
        }
    ),
    Role.FUND_SUPERVISOR: frozenset({Capability.VIEW, Capability.VIEW_AUDIT, Capability.SUPERVISE, Capability.UNMASK}),
    Role.AUDITOR: frozenset({Capability.VIEW, Capability.VIEW_AUDIT}),
    # A designated institution's system account: settles its own patients through the API, nothing else.
    Role.INSTITUTION: frozenset({Capability.SETTLE}),
    # The national cross-region settlement platform's account: sends our insured's settlements made
    # elsewhere (outbound), nothing else. City-wide: the patient may be of any district.
    Role.REMOTE_PLATFORM: frozenset({Capability.REMOTE_SETTLE}),
    # A self-service channel (政务服务平台, app) files 异地就医备案 for the person it has identified.
    Role.SELF_SERVICE: frozenset({Capability.SELF_SERVICE}),
}

# Roles that are by definition bound to one district, and roles that are by definition city-wide.
DISTRICT_BOUND_ROLES = frozenset({Role.DISTRICT_CLERK, Role.DISTRICT_REVIEWER, Role.INSTITUTION})
CITY_WIDE_ROLES = frozenset({Role.MUNICIPAL_ADMIN, Role.REMOTE_PLATFORM, Role.SELF_SERVICE})
