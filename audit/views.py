from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from config.pagination import keyset_page

from . import selectors
from .access import require_capability
from .forms import AuditEventFilterForm
from .jobs import REGISTRY, enqueue_job
from .roles import Capability
from .services import job_run_create

# Jobs a municipal admin may start from the UI; later issues add their batch jobs here.
UI_JOBS = {"housekeeping": gettext_noop("系统清理（过期会话与登录失败计数）")}


@login_required
def home(request):
    require_capability(request.user, Capability.VIEW)
    recent = selectors.job_run_list(fetched_by=request.user)[:5]
    return render(request, "home.html", {"recent_runs": recent})


@login_required
def event_list(request):
    form = AuditEventFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_event_list(fetched_by=request.user, filters=filters)
    page = keyset_page(events, after=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    return render(request, "audit/event_list.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def job_list(request):
    runs = selectors.job_run_list(fetched_by=request.user)
    page = keyset_page(runs, after=request.GET.get("after"))
    can_start = request.user.has_capability(Capability.ADMINISTER)
    return render(request, "audit/job_list.html", {"page": page, "ui_jobs": UI_JOBS, "can_start": can_start})


@login_required
@require_POST
def job_start(request, kind: str):
    require_capability(request.user, Capability.ADMINISTER)
    if kind not in UI_JOBS or kind not in REGISTRY:
        return render(request, "404.html", status=404)
    run = job_run_create(actor=request.user, kind=kind)
    enqueue_job(run)
    return redirect("audit:job_detail", run_id=run.pk)


@login_required
def job_detail(request, run_id: int):
    run = selectors.get_job_run_for_user_or_404(fetched_by=request.user, run_id=run_id)
    template = "audit/_job_progress.html" if request.headers.get("HX-Request") else "audit/job_detail.html"
    return render(request, template, {"run": run})
