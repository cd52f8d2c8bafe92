"""Staff pages of fund supervision: 监督检查 cases (日常, 专项, 飞行检查) and institutions' 信用评价.
Thin: parse, call, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.access import district_in_scope, require_capability
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import form_submit

from . import inspection_selectors as selectors
from . import inspection_services as services
from .inspection_forms import (
    CreditRatingFilterForm,
    InspectionCloseForm,
    InspectionFilterForm,
    InspectionOpenForm,
    InspectionUpdateForm,
)
from .models import Inspection


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("after", None)
    return query.urlencode()


@login_required
def inspection_list(request):
    form = InspectionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = keyset_page(
        selectors.inspection_list(fetched_by=request.user, filters=filters), after=request.GET.get("after")
    )
    context = {
        "form": form, "page": page, "query": _query(request),
        "can_open": request.user.has_capability(Capability.SUPERVISE),
    }  # fmt: skip
    return render(request, "audit/inspection_list.html", context)


@login_required
def inspection_new(request):
    require_capability(request.user, Capability.SUPERVISE)
    form = InspectionOpenForm(request.POST or None)

    def open_case(data):
        institution = selectors.institution_for_supervision(fetched_by=request.user, code=data["institution_code"])
        if institution is None:
            raise ValidationError({"institution_code": _("机构编码不存在或不在您的管辖范围内")})
        return services.inspection_open(
            actor=request.user, institution=institution, started_on=data["started_on"],
            inspectors=data["inspectors"], findings=data["findings"], kind=data["kind"],
        )  # fmt: skip

    if response := form_submit(
        request,
        form,
        call=open_case,
        success=lambda inspection: _("已立案%(kind)s") % {"kind": inspection.get_kind_display()},
        then=lambda inspection: redirect("audit:inspection_detail", inspection_id=inspection.pk),
    ):
        return response
    return render(request, "audit/inspection_form.html", {"form": form, "title": _("新建监督检查")},
                  status=400 if form.errors else 200)  # fmt: skip


def _update_form(inspection: Inspection, data=None) -> InspectionUpdateForm:
    initial = {
        "inspectors": inspection.inspectors,
        "findings": inspection.findings,
        "recovered_amount": inspection.recovered_amount,
        "penalty_amount": inspection.penalty_amount,
        "suspicion_ids": ",".join(str(pk) for pk in inspection.suspicions.values_list("pk", flat=True)),
    }
    return InspectionUpdateForm(data, initial=initial)


@login_required
def inspection_detail(request, inspection_id: int):
    inspection = selectors.get_inspection_for_user_or_404(fetched_by=request.user, inspection_id=inspection_id)
    can_edit = (
        request.user.has_capability(Capability.SUPERVISE)
        and district_in_scope(user=request.user, district_id=inspection.district_id)
        and inspection.status == Inspection.Status.OPEN
    )
    update_form, close_form = (_update_form(inspection), InspectionCloseForm()) if can_edit else (None, None)
    status = 200
    if request.method == "POST":
        require_capability(request.user, Capability.SUPERVISE)
        if request.POST.get("action") == "close":
            close_form = InspectionCloseForm(request.POST)
            response = form_submit(
                request,
                close_form,
                call=lambda data: services.inspection_close(
                    actor=request.user, inspection=inspection, closed_on=data["closed_on"]
                ),
                success=_("已结案"),
                then=lambda _result: redirect("audit:inspection_detail", inspection_id=inspection.pk),
            )
        else:
            update_form = _update_form(inspection, request.POST)
            response = form_submit(
                request,
                update_form,
                call=lambda data: services.inspection_update(actor=request.user, inspection=inspection, **data),
                success=_("已保存"),
                then=lambda _result: redirect("audit:inspection_detail", inspection_id=inspection.pk),
            )
        if response:
            return response
        status = 400
    context = {
        "inspection": inspection,
        "linked": selectors.inspection_suspicions(inspection=inspection),
        "candidates": selectors.linkable_suspicions(inspection=inspection) if can_edit else [],
        "update_form": update_form,
        "close_form": close_form,
    }
    return render(request, "audit/inspection_detail.html", context, status=status)


@login_required
def credit_rating_list(request):
    data = request.GET.copy()
    data.setdefault("year", str(selectors.credit_rating_year_default()))
    form = CreditRatingFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {"year": -1}
    page = keyset_page(selectors.credit_rating_list(fetched_by=request.user, filters=filters),
                       after=request.GET.get("after"))  # fmt: skip
    rules = selectors.credit_consequence_labels()
    for rating in page.items:
        rating.consequences = rules.get(rating.grade, [])
    context = {"form": form, "page": page, "query": _query(request), "rules": sorted(rules.items())}
    return render(request, "audit/credit_rating_list.html", context, status=200 if form.is_valid() else 400)
