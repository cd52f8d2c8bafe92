from django.urls import reverse
from django.utils.translation import gettext as _

from .roles import Capability

# (url name, label, capability needed to see the entry)
NAVIGATION = [
    ("home", "工作台", Capability.VIEW),
    ("enrollment:person_list", "参保人", Capability.VIEW),
    ("enrollment:employer_list", "参保单位", Capability.VIEW),
    ("enrollment:import_list", "批量导入", Capability.VIEW),
    ("enrollment:district_list", "区县", Capability.VIEW),
    ("audit:job_list", "批处理", Capability.VIEW),
    ("audit:event_list", "操作日志", Capability.VIEW_AUDIT),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_items": []}
    items = [
        {"url": reverse(name), "label": _(label), "active": request.path == reverse(name)}
        for name, label, capability in NAVIGATION
        if user.has_capability(capability)
    ]
    return {"nav_items": items}
