from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.roles import Capability

# The idle-logout warning (static/js/yibao.js) shows this long before SESSION_IDLE_SECONDS run out.
IDLE_WARN_SECONDS = 120

# (url name, label, capability needed to see the entry); labels are translated when shown.
# CITY_WIDE_ONLY entries are city-level work (the monthly 异地就医 clearing): district users do not see them.
NAVIGATION = [
    ("home", gettext_noop("工作台"), Capability.VIEW),
    ("enrollment:person_list", gettext_noop("参保人"), Capability.VIEW),
    ("enrollment:employer_list", gettext_noop("参保单位"), Capability.VIEW),
    ("core:import_list", gettext_noop("批量导入"), Capability.VIEW),
    ("core:district_list", gettext_noop("区县"), Capability.VIEW),
    ("benefits:institution_list", gettext_noop("定点机构"), Capability.VIEW),
    ("benefits:settlement_list", gettext_noop("医保结算"), Capability.VIEW),
    ("benefits:remote_filing_list", gettext_noop("异地就医备案"), Capability.VIEW),
    ("benefits:inbound_list", gettext_noop("异地就医人员结算"), Capability.VIEW),
    ("benefits:clearing_list", gettext_noop("异地就医清算"), Capability.VIEW),
    ("assistance:recipient_list", gettext_noop("医疗救助"), Capability.VIEW),
    ("assistance:application_list", gettext_noop("依申请救助"), Capability.VIEW),
    ("core:job_list", gettext_noop("批处理"), Capability.VIEW),
    ("audit:suspicion_list", gettext_noop("疑点核查"), Capability.VIEW_AUDIT),
    ("audit:event_list", gettext_noop("操作日志"), Capability.VIEW_AUDIT),
    ("audit:fund_dashboard", gettext_noop("基金运行"), Capability.VIEW_AUDIT),
    ("audit:remote_dashboard", gettext_noop("异地就医指标"), Capability.VIEW_AUDIT),
    ("audit:inspection_list", gettext_noop("监督检查"), Capability.SUPERVISE),
    ("audit:credit_rating_list", gettext_noop("信用评价"), Capability.SUPERVISE),
]
CITY_WIDE_ONLY = frozenset({"benefits:clearing_list"})


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_items": []}
    items = [
        {"url": reverse(name), "label": _(label), "active": request.path == reverse(name)}
        for name, label, capability in NAVIGATION
        if user.has_capability(capability) and (name not in CITY_WIDE_ONLY or user.is_city_wide)
    ]
    return {
        "nav_items": items,
        "idle_seconds": settings.SESSION_IDLE_SECONDS,
        "idle_warn_seconds": min(IDLE_WARN_SECONDS, settings.SESSION_IDLE_SECONDS // 2),
    }
