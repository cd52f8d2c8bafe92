"""Staff pages of inbound cross-region settlement (patients insured elsewhere, settled at our
institutions): the list of the district's institutions' settlements and one settlement with the insured
area's terms as supplied. Thin: parse, call a selector, render."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import require_capability
from core.areas import area_choices, area_name
from core.pagination import keyset_page
from core.roles import Capability
from enrollment.validators import mask_id_number

from . import remote_settlement_selectors as selectors
from .models import InboundSettlement


class InboundFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("流水号/身份证号/姓名"), required=False, max_length=40)
    insured_area_code = forms.ChoiceField(label=gettext_lazy("参保地"), required=False)
    month = forms.RegexField(
        label=gettext_lazy("结算月份"),
        required=False,
        regex=r"^\d{4}-\d{2}$",
        max_length=7,
        error_messages={"invalid": gettext_lazy("月份格式应为 YYYY-MM，如 2023-03")},
        widget=forms.TextInput(attrs={"placeholder": "2023-03", "inputmode": "numeric"}),
    )
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insured_area_code"].choices = [("", _("全部")), *area_choices()]
        self.fields["status"].choices = [("", _("全部")), *InboundSettlement.Status.choices]


@login_required
def inbound_list(request):
    require_capability(request.user, Capability.VIEW)
    form = InboundFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    try:
        rows = selectors.inbound_list(fetched_by=request.user, filters=filters)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
        rows = selectors.inbound_list(fetched_by=request.user)
    page = keyset_page(rows, after=request.GET.get("after"))
    for row in page.items:
        row.insured_area = area_name(row.insured_area_code)
        row.masked_id = mask_id_number(row.id_number)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request, "benefits/remote/inbound_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@login_required
def inbound_detail(request, inbound_id: int):
    require_capability(request.user, Capability.VIEW)
    inbound = selectors.get_inbound_for_user_or_404(fetched_by=request.user, inbound_id=inbound_id)
    context = {
        "s": inbound,
        "insured_area": area_name(inbound.insured_area_code),
        "masked_id": mask_id_number(inbound.id_number),
    }
    return render(request, "benefits/remote/inbound_detail.html", context)
