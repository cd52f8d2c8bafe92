"""Staff pages of 疑点核查: the suspicion queue, one suspicion with its review form, and starting a scan.
Thin: parse input, call a selector or a service, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import district_in_scope, require_capability
from core.pagination import keyset_page
from core.views_helpers import form_submit

from . import suspicion_selectors as selectors
from .fraud import can_scan, fraud_scan_start
from .models import Suspicion
from .suspicion_forms import FraudScanForm, ReviewForm, SuspicionFilterForm
from .suspicion_services import can_review, suspicion_review


def _queue(request, scan_form: FraudScanForm | None = None, status: int = 200):
    form = SuspicionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = keyset_page(
        selectors.suspicion_list(fetched_by=request.user, filters=filters), after=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    if scan_form is None and can_scan(request.user):
        scan_form = FraudScanForm()
    context = {"form": form, "page": page, "query": query.urlencode(), "scan_form": scan_form}
    return render(request, "audit/suspicion_list.html", context, status=status)


@login_required
def suspicion_list(request):
    return _queue(request)


@login_required
@require_POST
def fraud_scan_run(request):
    """Start a scan job over a date window (all active rules or one) and show its progress page."""
    require_capability(request.user, selectors.VIEW_CAPABILITY)
    if not can_scan(request.user):
        raise PermissionDenied(_("您的角色无权执行疑点筛查。"))
    form = FraudScanForm(request.POST)
    if response := form_submit(
        request,
        form,
        call=lambda data: fraud_scan_start(
            actor=request.user,
            start=data["start"],
            end=data["end"],
            rule_codes=[data["rule"]] if data["rule"] else None,
        ),
        success=_("已启动疑点筛查"),
        then=lambda run: redirect("core:job_detail", run_id=run.pk),
    ):
        return response
    return _queue(request, scan_form=form, status=400)


def _detail(request, suspicion: Suspicion, form: ReviewForm | None = None, status: int = 200):
    may_review = (
        suspicion.status == Suspicion.Status.OPEN
        and can_review(request.user)
        and district_in_scope(user=request.user, district_id=suspicion.district_id)
    )
    if may_review and form is None:
        form = ReviewForm()
    shown = form if may_review or (form is not None and form.errors) else None
    context = {"s": suspicion, "settlement": suspicion.settlement, "form": shown}
    return render(request, "audit/suspicion_detail.html", context, status=status)


@login_required
def suspicion_detail(request, suspicion_id: int):
    suspicion = selectors.get_suspicion_for_user_or_404(fetched_by=request.user, suspicion_id=suspicion_id)
    if request.method != "POST":
        return _detail(request, suspicion)
    if not can_review(request.user):
        raise PermissionDenied(_("您的角色无权核查疑点。"))
    form = ReviewForm(request.POST)
    if response := form_submit(
        request,
        form,
        call=lambda data: suspicion_review(
            actor=request.user, suspicion=suspicion, decision=data["decision"], reason=data["reason"]
        ),
        success=_("已保存核查结论"),
        then=lambda _result: redirect("audit:suspicion_detail", suspicion_id=suspicion.pk),
    ):
        return response
    return _detail(request, suspicion, form=form, status=400)
