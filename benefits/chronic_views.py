"""Staff pages of the 门诊慢特病 application workflow: the queue, one application with the moves this user
may make, and the new-application form opened from the person page. Thin: parse, call, render."""

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import district_in_scope, require_capability
from core.forms import DateField
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import form_submit
from enrollment.selectors import get_person_for_user_or_404

from . import chronic_applications as workflow
from .models.chronic import ChronicApplication

Status = ChronicApplication.Status

# The buttons name the action, not the status it leads to (评定通过, not 已评定待审批).
MOVE_ACTIONS = {
    Status.ASSESSED: gettext_lazy("评定通过"),
    Status.APPROVED: gettext_lazy("批准"),
    Status.REJECTED: gettext_lazy("驳回"),
}


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), choices=[("", gettext_lazy("全部"))], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *Status.choices]


class ApplicationSubmitForm(forms.Form):
    disease = forms.ChoiceField(label=gettext_lazy("病种"))
    hospital_code = forms.CharField(
        label=gettext_lazy("诊断医院机构编码"), max_length=12, help_text=gettext_lazy("定点医疗机构的12位机构编码")
    )
    diagnosis = forms.CharField(
        label=gettext_lazy("诊断结论"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.CharField(
        label=gettext_lazy("诊断材料"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("每行一项，如：诊断证明书、门诊病历、检查报告"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disease"].choices = [("", "—")] + [
            (d.code, f"{d.code} {d.name}") for d in workflow.chronic_catalogue()
        ]


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=gettext_lazy("操作"), choices=Status.choices)
    reason = forms.CharField(
        label=gettext_lazy("意见"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "data_condition": gettext_lazy("评定和驳回时必填")}),
    )
    valid_from = DateField(
        label=gettext_lazy("待遇开始日期"),
        required=False,
        initial=dt.date.today,
        widget=DateField.widget(attrs={"data_condition": gettext_lazy("批准时填写，默认今天")}),
    )
    valid_to = DateField(label=gettext_lazy("待遇截止日期"), required=False, help_text=gettext_lazy("不填为长期"))

    def __init__(self, *args, approving: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not approving:
            del self.fields["valid_from"]
            del self.fields["valid_to"]


def _person_from_query(request):
    raw = request.GET.get("person", "")
    if not raw.isdigit():
        raise Http404(_("记录不存在或不在您的管辖范围内。"))
    return get_person_for_user_or_404(fetched_by=request.user, person_id=int(raw))


@login_required
def chronic_application_list(request):
    require_capability(request.user, Capability.VIEW)
    form = ApplicationFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    person_id = request.GET.get("person", "")
    applications = workflow.chronic_application_list(
        fetched_by=request.user, status=status, person_id=int(person_id) if person_id.isdigit() else None
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "page": keyset_page(applications, after=request.GET.get("after")),
        "query": query.urlencode(),
    }
    return render(request, "benefits/chronic_application_list.html", context)


@login_required
def chronic_application_submit(request):
    """From the person page (?person=<pk>): the person is chosen there, nothing to type."""
    require_capability(request.user, Capability.EDIT)
    person = _person_from_query(request)
    form = ApplicationSubmitForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        call=lambda data: workflow.chronic_application_submit(
            actor=request.user,
            person=person,
            disease_code=data["disease"],
            hospital_code=data["hospital_code"],
            diagnosis=data["diagnosis"],
            evidence=data["evidence"],
        ),
        success=_("已受理门诊慢特病申请"),
        then=lambda application: redirect("benefits:chronic_application_detail", application_id=application.pk),
        aliases={"hospital": "hospital_code"},
    ):
        return response
    context = {
        "form": form,
        "person": person,
        "back_url": reverse("enrollment:person_detail", args=[person.pk]) + "#benefits",
    }
    return render(request, "benefits/chronic_application_form.html", context)


def _detail_page(request, application: ChronicApplication, form: TransitionForm | None = None, status: int = 200):
    moves = []
    if district_in_scope(user=request.user, district_id=application.district_id):
        moves = [Status(m) for m in workflow.allowed_transitions(user=request.user, application=application)]
    approving = Status.APPROVED in moves
    form = form or TransitionForm(approving=approving)
    status_errors = form.errors.get("to_status", []) if form.is_bound else []
    form.fields.pop("to_status", None)  # the buttons carry it
    if not approving:
        form.fields.pop("valid_from", None)
        form.fields.pop("valid_to", None)
    context = {
        "a": application,
        "moves": [(m, MOVE_ACTIONS[m]) for m in moves],
        "form": form,
        "status_errors": status_errors,
    }
    return render(request, "benefits/chronic_application_detail.html", context, status=status)


@login_required
def chronic_application_detail(request, application_id: int):
    application = workflow.get_chronic_application_for_user_or_404(
        fetched_by=request.user, application_id=application_id
    )
    return _detail_page(request, application)


@login_required
@require_POST
def chronic_application_transition(request, application_id: int):
    application = workflow.get_chronic_application_for_user_or_404(
        fetched_by=request.user, application_id=application_id
    )
    form = TransitionForm(request.POST)
    if response := form_submit(
        request,
        form,
        call=lambda data: workflow.chronic_application_transition(
            actor=request.user,
            application=application,
            to_status=data["to_status"],
            reason=data["reason"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
        ),
        success=lambda result: (
            _("已办理：%(action)s。当前状态：%(status)s")
            % {"action": MOVE_ACTIONS[Status(result.status)], "status": result.get_status_display()}
        ),
        then=lambda _result: redirect("benefits:chronic_application_detail", application_id=application.pk),
    ):
        return response
    return _detail_page(request, application, form=form, status=400)
