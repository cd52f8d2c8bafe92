from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from config.pagination import keyset_page

from . import selectors
from .access import require_capability
from .forms import AuditEventFilterForm
from .jobs import REGISTRY, enqueue_job
from .roles import Capability
from .services import job_run_create

# Jobs a municipal admin may start from the UI: without parameters, and for one year.
UI_JOBS = {"housekeeping": gettext_noop("系统清理（过期会话与登录失败计数）")}
YEAR_JOBS = {
    "annual_collection": gettext_noop("年度缴费征收（居民缴费单、资助参保、个人账户划入计划）"),
    "annual_rollover": gettext_noop("年度结转（毕业生、个人账户划入补齐、开启下一年度、年度汇总）"),
    "high_cost_alerts": gettext_noop("高额费用负担预警"),
    "credit_rating": gettext_noop("定点机构信用评价"),
}


@login_required
def home(request):
    require_capability(request.user, Capability.VIEW)
    recent = selectors.job_run_list(fetched_by=request.user)[:5]
    return render(request, "home.html", {"recent_runs": recent})


@login_required
def event_list(request):
    form = AuditEventFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_event_list(fetched_by=request.user, filters=filters)
    if form.errors:  # a mistyped filter shows its message and no rows, never the unfiltered trail
        events = events.none()
    page = keyset_page(events, after=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/event_list.html", context, status=400 if form.errors else 200)


@login_required
def job_list(request):
    runs = selectors.job_run_list(fetched_by=request.user)
    page = keyset_page(runs, after=request.GET.get("after"))
    can_start = request.user.has_capability(Capability.ADMINISTER)
    context = {
        "page": page,
        "ui_jobs": UI_JOBS,
        "year_jobs": YEAR_JOBS,
        "can_start": can_start,
        "this_year": timezone.localdate().year,
    }
    return render(request, "audit/job_list.html", context)


@login_required
@require_POST
def job_start(request, kind: str):
    require_capability(request.user, Capability.ADMINISTER)
    if kind not in {**UI_JOBS, **YEAR_JOBS} or kind not in REGISTRY:
        return render(request, "404.html", status=404)
    params = {}
    if kind in YEAR_JOBS:
        year = request.POST.get("year", "")
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            messages.error(request, _("年度应为四位年份（2000-2100）"))
            return redirect("audit:job_list")
        params = {"year": int(year)}
    run = job_run_create(actor=request.user, kind=kind, params=params)
    enqueue_job(run)
    return redirect("audit:job_detail", run_id=run.pk)


@login_required
def job_detail(request, run_id: int):
    run = selectors.get_job_run_for_user_or_404(fetched_by=request.user, run_id=run_id)
    template = "audit/_job_progress.html" if request.headers.get("HX-Request") else "audit/job_detail.html"
    return render(request, template, {"run": run})
