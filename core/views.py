"""Staff pages of the floor: the workbench, reference districts and batch job runs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors
from .access import require_capability
from .jobs import REGISTRY
from .pagination import keyset_page
from .roles import Capability
from .services import job_run_create
from .tasks import enqueue_job


@login_required
def home(request):
    require_capability(request.user, Capability.VIEW)
    recent = selectors.job_run_list(fetched_by=request.user)[:5]
    return render(request, "home.html", {"recent_runs": recent})


@login_required
def job_list(request):
    runs = selectors.job_run_list(fetched_by=request.user)
    page = keyset_page(runs, after=request.GET.get("after"))
    can_start = request.user.has_capability(Capability.ADMINISTER)
    context = {
        "page": page,
        "ui_jobs": [job for job in REGISTRY.values() if job.start == "plain"],
        "year_jobs": [job for job in REGISTRY.values() if job.start == "year"],
        "can_start": can_start,
        "this_year": timezone.localdate().year,
    }
    return render(request, "core/job_list.html", context)


@login_required
@require_POST
def job_start(request, kind: str):
    require_capability(request.user, Capability.ADMINISTER)
    job = REGISTRY.get(kind)
    if job is None or not job.start:
        return render(request, "404.html", status=404)
    params = {}
    if job.start == "year":
        year = request.POST.get("year", "")
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            messages.error(request, _("年度应为四位年份（2000-2100）"))
            return redirect("core:job_list")
        params = {"year": int(year)}
    run = job_run_create(actor=request.user, kind=kind, params=params)
    enqueue_job(run)
    return redirect("core:job_detail", run_id=run.pk)


@login_required
def job_detail(request, run_id: int):
    run = selectors.get_job_run_for_user_or_404(fetched_by=request.user, run_id=run_id)
    template = "core/_job_progress.html" if request.headers.get("HX-Request") else "core/job_detail.html"
    return render(request, template, {"run": run})


@login_required
def district_list(request):
    return render(request, "core/district_list.html", {"districts": selectors.district_list(fetched_by=request.user)})
