"""Staff pages of the floor: the workbench, reference districts and batch job runs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors
from .access import require_capability
from .jobs import REGISTRY, job_default_year, job_run_looks_stale, job_runs_reap
from .models import JobRun
from .pagination import keyset_page
from .roles import Capability
from .services import job_run_create
from .tasks import enqueue_job, job_run_resumable, job_run_retry
from .workqueue import work_queue


def _query_without_after(request) -> str:
    """The list's filters, for the pager's next-page link."""
    query = request.GET.copy()
    query.pop("after", None)
    return query.urlencode()


@login_required
def home(request):
    """工作台: what waits for this user (scoped to their district and role), then the latest batch runs."""
    require_capability(request.user, Capability.VIEW)
    recent = selectors.job_run_list(fetched_by=request.user)[:5]
    return render(request, "home.html", {"queue": work_queue(user=request.user), "recent_runs": recent})


def _list_filters(request, statuses) -> dict:
    """?status= (one of `statuses`) and ?days= from a list page's query string; anything else is ignored."""
    status = request.GET.get("status", "")
    days = request.GET.get("days", "")
    return {
        "status": status if status in statuses else "",
        "since_days": int(days) if days.isdigit() and 0 < int(days) <= 366 else None,
    }


@login_required
def job_list(request):
    filters = _list_filters(request, JobRun.Status.values)
    runs = selectors.job_run_list(fetched_by=request.user, **filters)
    page = keyset_page(runs, after=request.GET.get("after"))
    can_start = request.user.has_capability(Capability.ADMINISTER)
    this_year = timezone.localdate().year
    start_jobs = (
        [
            {
                "kind": job.kind,
                "label": job.label,
                "start": job.start,
                "year": job_default_year(job.kind, today_year=this_year) if job.start == "year" else None,
            }
            for job in REGISTRY.values()
            if job.start in ("plain", "year")
        ]
        if can_start
        else []
    )
    context = {
        "page": page,
        "start_jobs": start_jobs,
        "can_start": can_start,
        "filtered": filters["status"] and JobRun.Status(filters["status"]).label,
        "since_days": filters["since_days"],
        "query": _query_without_after(request),
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


def _can_retry(user, run: JobRun) -> bool:
    """重试/继续 is offered on a failed run of a registered job that is not an import's (those are retried
    from their batch), to those who may start jobs (municipal admins)."""
    return (
        run.status == JobRun.Status.FAILED
        and run.kind in REGISTRY
        and "batch_id" not in (run.params or {})
        and user.has_capability(Capability.ADMINISTER)
    )


@login_required
def job_detail(request, run_id: int):
    """A run's progress and outcome. POST: 重试/继续 a failed run (municipal admins)."""
    run = selectors.get_job_run_for_user_or_404(fetched_by=request.user, run_id=run_id)
    if request.method == "POST":
        require_capability(request.user, Capability.ADMINISTER)
        if not _can_retry(request.user, run):
            messages.error(request, _("只有失败的批处理可以重试"))
            return redirect("core:job_detail", run_id=run.pk)
        resumed = job_run_resumable(run)
        try:
            again = job_run_retry(actor=request.user, run=run)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return redirect("core:job_detail", run_id=run.pk)
        messages.success(request, _("已从检查点继续执行") if resumed else _("已重新排队执行"))
        return redirect("core:job_detail", run_id=again.pk)
    if job_run_looks_stale(run) and job_runs_reap(run_id=run.pk):
        run.refresh_from_db()  # its worker died: say so now rather than at the next scheduled sweep
    context = {"run": run, "can_retry": _can_retry(request.user, run), "resumable": job_run_resumable(run)}
    template = "core/_job_progress.html" if request.headers.get("HX-Request") else "core/job_detail.html"
    return render(request, template, context)


@login_required
def district_list(request):
    return render(request, "core/district_list.html", {"districts": selectors.district_list(fetched_by=request.user)})
