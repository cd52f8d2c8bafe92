"""Staff pages of medical aid: recipients (list, register, end, import), the 待参保 worklist and the
资助参保率 (应保尽保), applications and their workflow, high-cost alerts. Thin: parse input, call a
selector or a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import district_in_scope, require_capability
from core.importing import selectors as import_selectors
from core.models import District, ImportBatch
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import action_submit, form_submit
from enrollment.selectors import get_person_for_user_or_404

from . import selectors, services
from .forms import (
    AlertFilterForm,
    AlertHandleForm,
    ApplicationFilterForm,
    ApplicationSubmitForm,
    CoverageRateForm,
    RecipientEndForm,
    RecipientFilterForm,
    RecipientImportForm,
    RecipientRegisterForm,
    TransitionForm,
    WorklistDismissForm,
    WorklistEnrollForm,
    WorklistFilterForm,
)
from .importing import aid_recipient_batch_create
from .models import AidApplication, AidEnrollmentItem

NOT_REGISTERED = "该身份证号未参保登记"

# The buttons name the action, not the status it leads to (初审通过, not 已初审).
MOVE_ACTIONS = {
    AidApplication.Status.REVIEWED: gettext_lazy("初审通过"),
    AidApplication.Status.APPROVED: gettext_lazy("批准"),
    AidApplication.Status.REJECTED: gettext_lazy("驳回"),
    AidApplication.Status.PAID: gettext_lazy("确认支付"),
}


def _filters(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if v not in (None, "")} if form.is_valid() else {}


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("after", None)
    return query.urlencode()


def _person(request, id_number: str):
    person = selectors.person_in_scope_by_id_number(fetched_by=request.user, id_number=id_number)
    if person is None:
        raise ValidationError({"id_number": _(NOT_REGISTERED)})
    return person


@login_required
def recipient_list(request):
    require_capability(request.user, Capability.VIEW)
    form = RecipientFilterForm(request.GET or None)
    filters = _filters(form)
    recipients = selectors.aid_recipient_list(
        fetched_by=request.user, query=filters.get("q", ""), category=filters.get("category", "")
    )
    page = keyset_page(recipients, after=request.GET.get("after"))
    context = {
        "form": form,
        "page": page,
        "query": _query(request),
        "can_edit": request.user.has_capability(Capability.EDIT),
    }
    return render(request, "assistance/recipient_list.html", context)


@login_required
def recipient_register(request):
    require_capability(request.user, Capability.EDIT)
    form = RecipientRegisterForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.aid_recipient_register(
            actor=request.user,
            person=_person(request, data["id_number"]),
            category=data["category"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            source=data["source"],
        ),
        success=_("已登记医疗救助对象"),
        then=lambda recipient: redirect("assistance:recipient_detail", recipient_id=recipient.pk),
    ):
        return response
    return render(request, "assistance/form.html", {"form": form, "title": _("登记医疗救助对象")})


@login_required
def recipient_detail(request, recipient_id: int):
    recipient = selectors.get_aid_recipient_for_user_or_404(fetched_by=request.user, recipient_id=recipient_id)
    can_edit = request.user.has_capability(Capability.EDIT) and district_in_scope(
        user=request.user, district_id=recipient.district_id
    )
    if request.method == "POST":
        require_capability(request.user, Capability.EDIT)
    form = RecipientEndForm(request.POST or None, initial={"valid_to": recipient.valid_to}) if can_edit else None
    if form is not None and (
        response := form_submit(
            request,
            form,
            call=lambda data: services.aid_recipient_end(
                actor=request.user, recipient=recipient, valid_to=data["valid_to"], note=data["note"]
            ),
            success=_("已保存"),
            then=lambda _result: redirect("assistance:recipient_detail", recipient_id=recipient.pk),
        )
    ):
        return response
    return render(request, "assistance/recipient_detail.html", {"recipient": recipient, "form": form})


@login_required
def recipient_import(request):
    """Upload a civil-affairs / rural-revitalisation list; the result shows on the import batch page."""
    require_capability(request.user, Capability.VIEW)
    form = RecipientImportForm(request.POST or None, request.FILES or None)
    if not request.user.is_city_wide:
        form.fields["district"].queryset = District.objects.filter(pk=request.user.district_id)
        form.fields["district"].required = True
        form.fields["district"].empty_label = None
        form.fields["district"].initial = request.user.district_id
    if request.method == "POST":
        require_capability(request.user, Capability.EDIT)
    if response := form_submit(
        request,
        form,
        call=lambda data: aid_recipient_batch_create(
            actor=request.user,
            fileobj=data["file"],
            original_name=data["file"].name,
            district_id=data["district"].pk if data["district"] else None,
            mode=data["mode"],
            source=data["source"],
        ),
        then=lambda batch: redirect("core:import_detail", batch_id=batch.pk),
    ):
        return response
    batches = import_selectors.import_batch_list(fetched_by=request.user).filter(kind=ImportBatch.Kind.AID_RECIPIENTS)
    page = keyset_page(batches, after=request.GET.get("after"))
    context = {"form": form, "page": page, "query": "", "can_upload": request.user.has_capability(Capability.EDIT)}
    return render(request, "assistance/recipient_import.html", context)


@login_required
def application_list(request):
    require_capability(request.user, Capability.VIEW)
    form = ApplicationFilterForm(request.GET or None)
    applications = selectors.aid_application_list(fetched_by=request.user, status=_filters(form).get("status", ""))
    context = {
        "form": form,
        "page": keyset_page(applications, after=request.GET.get("after")),
        "query": _query(request),
        "can_edit": request.user.has_capability(Capability.EDIT),
    }
    return render(request, "assistance/application_list.html", context)


def _person_from_query(request):
    """?person=<pk> (the person page's link): that person, in the user's scope, or 404."""
    raw = request.GET.get("person", "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise Http404(_("记录不存在或不在您的管辖范围内。"))
    return get_person_for_user_or_404(fetched_by=request.user, person_id=int(raw))


@login_required
def application_submit(request):
    """受理依申请救助. From the person page (?person=<pk>) the person is already chosen: no ID to type."""
    require_capability(request.user, Capability.EDIT)
    person = _person_from_query(request)
    form = ApplicationSubmitForm(request.POST or None, person=person)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.aid_application_submit(
            actor=request.user,
            person=person if person is not None else _person(request, data["id_number"]),
            year=data["year"],
            requested_amount=data["requested_amount"],
            reason=data["reason"],
        ),
        success=_("已受理救助申请"),
        then=lambda application: redirect("assistance:application_detail", application_id=application.pk),
    ):
        return response
    context = {
        "form": form,
        "title": _("受理依申请救助"),
        "person": person,
        "back_url": reverse("enrollment:person_detail", args=[person.pk])
        if person is not None
        else reverse("assistance:application_list"),
    }
    return render(request, "assistance/form.html", context)


def _application_page(request, application: AidApplication, form: TransitionForm | None = None, status: int = 200):
    moves = []
    if district_in_scope(user=request.user, district_id=application.district_id):
        moves = [
            AidApplication.Status(m) for m in services.allowed_transitions(user=request.user, application=application)
        ]
    approving = AidApplication.Status.APPROVED in moves
    form = form or TransitionForm(approving=approving)
    status_errors = form.errors.get("to_status", []) if form.is_bound else []
    # The buttons carry to_status; the other fields render through _fields.html.
    form.fields.pop("to_status", None)
    if not approving:
        form.fields.pop("approved_amount", None)
    context = {
        "a": application,
        "moves": [(m, MOVE_ACTIONS[m]) for m in moves],
        "form": form,
        "status_errors": status_errors,
    }
    return render(request, "assistance/application_detail.html", context, status=status)


@login_required
def application_detail(request, application_id: int):
    application = selectors.get_aid_application_for_user_or_404(fetched_by=request.user, application_id=application_id)
    return _application_page(request, application)


@login_required
@require_POST
def application_transition(request, application_id: int):
    application = selectors.get_aid_application_for_user_or_404(fetched_by=request.user, application_id=application_id)
    form = TransitionForm(request.POST)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.aid_application_transition(
            actor=request.user,
            application=application,
            to_status=data["to_status"],
            reason=data["reason"],
            approved_amount=data["approved_amount"],
        ),
        success=lambda _result: (
            _("已办理：%(action)s。当前状态：%(status)s")
            % {
                "action": MOVE_ACTIONS[AidApplication.Status(form.cleaned_data["to_status"])],
                "status": AidApplication.Status(form.cleaned_data["to_status"]).label,
            }
        ),
        then=lambda _result: redirect("assistance:application_detail", application_id=application.pk),
    ):
        return response
    return _application_page(request, application, form=form, status=400)


@login_required
def alert_list(request):
    require_capability(request.user, Capability.VIEW)
    form = AlertFilterForm(request.GET or None)
    filters = _filters(form)
    alerts = selectors.high_cost_alert_list(
        fetched_by=request.user, status=filters.get("status", ""), year=filters.get("year")
    )
    page = keyset_page(alerts, after=request.GET.get("after"))
    # One small form per row, each with its own ids, so every select and input has its own label.
    context = {
        "form": form,
        "page": page,
        "rows": [(alert, AlertHandleForm(auto_id=f"id_alert{alert.pk}_%s")) for alert in page.items],
        "query": _query(request),
        "can_edit": request.user.has_capability(Capability.EDIT),
    }
    return render(request, "assistance/alert_list.html", context)


@login_required
@require_POST
def alert_handle(request, alert_id: int):
    alert = selectors.get_high_cost_alert_for_user_or_404(fetched_by=request.user, alert_id=alert_id)
    require_capability(request.user, Capability.EDIT)
    form = AlertHandleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[f].label}：{e[0]}" for f, e in form.errors.items()))
        return redirect("assistance:alert_list")
    action_submit(
        request,
        lambda: services.high_cost_alert_handle(
            actor=request.user, alert=alert, to_status=form.cleaned_data["to_status"], note=form.cleaned_data["note"]
        ),
        success=_("已记录跟进情况"),
    )
    return redirect("assistance:alert_list")


# --- 待参保 worklist and 资助参保率 ---


@login_required
def worklist(request):
    require_capability(request.user, Capability.VIEW)
    form = WorklistFilterForm(request.GET or None)
    filters = _filters(form)
    items = selectors.aid_enrollment_item_list(
        fetched_by=request.user,
        status=filters.get("status", ""),
        category=filters.get("category", ""),
        query=filters.get("q", ""),
    )
    context = {"form": form, "page": keyset_page(items, after=request.GET.get("after")), "query": _query(request)}
    return render(request, "assistance/worklist.html", context)


def _item_page(request, item: AidEnrollmentItem, *, enroll_form=None, dismiss_form=None, status: int = 200):
    can_act = (
        item.status == AidEnrollmentItem.Status.OPEN
        and request.user.has_capability(Capability.EDIT)
        and district_in_scope(user=request.user, district_id=item.district_id)
    )
    context = {"item": item, "can_act": can_act}
    if can_act:
        context["enroll_form"] = enroll_form or WorklistEnrollForm(
            initial={"coverage_year": timezone.localdate().year}, auto_id="id_enroll_%s"
        )
        context["dismiss_form"] = dismiss_form or WorklistDismissForm(auto_id="id_dismiss_%s")
    return render(request, "assistance/worklist_item.html", context, status=status)


@login_required
def worklist_item(request, item_id: int):
    item = selectors.get_aid_enrollment_item_for_user_or_404(fetched_by=request.user, item_id=item_id)
    return _item_page(request, item)


@login_required
@require_POST
def worklist_enroll(request, item_id: int):
    item = selectors.get_aid_enrollment_item_for_user_or_404(fetched_by=request.user, item_id=item_id)
    require_capability(request.user, Capability.EDIT)
    form = WorklistEnrollForm(request.POST, auto_id="id_enroll_%s")
    if response := form_submit(
        request,
        form,
        call=lambda data: services.aid_enrollment_item_enroll(actor=request.user, item=item, **data),
        success=lambda done: _("已办理参保：%(name)s") % {"name": done.person.name},
        then=lambda done: redirect("enrollment:person_detail", person_id=done.person_id),
    ):
        return response
    return _item_page(request, item, enroll_form=form, status=400)


@login_required
@require_POST
def worklist_dismiss(request, item_id: int):
    item = selectors.get_aid_enrollment_item_for_user_or_404(fetched_by=request.user, item_id=item_id)
    require_capability(request.user, Capability.EDIT)
    form = WorklistDismissForm(request.POST, auto_id="id_dismiss_%s")
    if response := form_submit(
        request,
        form,
        call=lambda data: services.aid_enrollment_item_dismiss(actor=request.user, item=item, note=data["note"]),
        success=_("已核销该待参保事项"),
        then=lambda done: redirect("assistance:worklist_item", item_id=done.pk),
    ):
        return response
    return _item_page(request, item, dismiss_form=form, status=400)


@login_required
def coverage_rate(request):
    """资助困难群众参保率 per district and aid category, and who is still missing."""
    require_capability(request.user, Capability.VIEW)
    form = CoverageRateForm(request.GET or None, initial={"year": selectors.aid_year_default()})
    if not request.user.is_city_wide:
        form.fields["district"].queryset = District.objects.filter(pk=request.user.district_id)
    filters = _filters(form) if form.is_bound else {}
    year = filters.get("year") or selectors.aid_year_default()
    district = filters.get("district")
    scope = {"fetched_by": request.user, "year": year, "district_id": district.pk if district else None}
    context = {
        "form": form,
        "year": year,
        "rate": selectors.aid_enrollment_rate(**scope),
        "missing": selectors.aid_enrollment_missing(**scope),
    }
    return render(request, "assistance/coverage_rate.html", context)
