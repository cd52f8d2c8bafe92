"""Staff pages of 异地就医清算: the statements, one statement (confirm, pay), its A4 print. Thin: parse, call
a selector or a service, render. City-wide readers only; the moves need Capability.ADMINISTER."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import require_capability
from core.areas import area_choices, area_name
from core.forms import DateField
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import action_submit, form_submit

from . import clearing_selectors as selectors
from . import selectors as benefit_selectors
from .models import Clearing, ClearingLine
from .services.clearing import clearing_confirm, clearing_month_parse, clearing_pay


class ClearingFilterForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("清算月份"), max_length=7, required=False, help_text=gettext_lazy("格式：年-月，如 2023-05")
    )
    area_code = forms.ChoiceField(label=gettext_lazy("对方统筹区"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area_code"].choices = [("", _("全部")), *area_choices()]
        self.fields["status"].choices = [("", _("全部")), *Clearing.Status.choices]

    def clean_month(self):
        value = self.cleaned_data["month"]
        if not value:
            return None
        try:
            return clearing_month_parse(value)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["month"]) from None


class PayForm(forms.Form):
    paid_on = DateField(label=gettext_lazy("资金划拨日期"))


class LineFilterForm(forms.Form):
    direction = forms.ChoiceField(
        label=gettext_lazy("方向"),
        required=False,
        choices=[("", gettext_lazy("全部")), *ClearingLine.Direction.choices],
    )


@login_required
def clearing_list(request):
    form = ClearingFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    clearings = selectors.clearing_list(
        fetched_by=request.user,
        month=data.get("month"),
        area_code=data.get("area_code", ""),
        status=data.get("status", ""),
    )
    query = request.GET.copy()
    query.pop("after", None)
    page = keyset_page(clearings, after=request.GET.get("after"))
    context = {
        "form": form,
        "page": page,
        "rows": [(c, area_name(c.area_code)) for c in page.items],
        "query": query.urlencode(),
    }
    return render(request, "benefits/remote/clearing_list.html", context)


def _detail(request, clearing: Clearing, *, pay_form: PayForm | None = None, status: int = 200):
    lines_form = LineFilterForm(request.GET or None)
    direction = lines_form.cleaned_data.get("direction", "") if lines_form.is_valid() else ""
    query = request.GET.copy()
    query.pop("after", None)
    admin = request.user.has_capability(Capability.ADMINISTER)
    context = {
        "c": clearing,
        "area": area_name(clearing.area_code),
        "subtotals": selectors.clearing_subtotals(clearing=clearing),
        "lines_form": lines_form,
        "page": keyset_page(
            selectors.clearing_lines(clearing=clearing, direction=direction), after=request.GET.get("after")
        ),
        "query": query.urlencode(),
        "may_confirm": admin and clearing.status == Clearing.Status.DRAFT,
        # A refused payment shows its form again with the reason, whatever the status.
        "pay_form": pay_form or (PayForm() if admin and clearing.status == Clearing.Status.CONFIRMED else None),
    }
    return render(request, "benefits/remote/clearing_detail.html", context, status=status)


@login_required
def clearing_detail(request, clearing_id: int):
    clearing = selectors.get_clearing_for_user_or_404(fetched_by=request.user, clearing_id=clearing_id)
    return _detail(request, clearing)


@login_required
@require_POST
def clearing_confirm_view(request, clearing_id: int):
    clearing = selectors.get_clearing_for_user_or_404(fetched_by=request.user, clearing_id=clearing_id)
    require_capability(request.user, Capability.ADMINISTER)
    action_submit(request, lambda: clearing_confirm(actor=request.user, clearing=clearing), success=_("清算单已确认"))
    return redirect("benefits:clearing_detail", clearing_id=clearing.pk)


@login_required
@require_POST
def clearing_pay_view(request, clearing_id: int):
    clearing = selectors.get_clearing_for_user_or_404(fetched_by=request.user, clearing_id=clearing_id)
    require_capability(request.user, Capability.ADMINISTER)
    form = PayForm(request.POST)
    if response := form_submit(
        request,
        form,
        call=lambda data: clearing_pay(actor=request.user, clearing=clearing, paid_on=data["paid_on"]),
        success=_("已登记资金划拨，并记入基金账簿"),
        then=lambda _moved: redirect("benefits:clearing_detail", clearing_id=clearing.pk),
        aliases={"status": "paid_on"},
    ):
        return response
    return _detail(request, clearing, pay_form=form, status=400)


@login_required
def clearing_print(request, clearing_id: int):
    """The A4 statement: totals, subtotals by district and scheme, who printed it and when."""
    clearing = selectors.get_clearing_for_user_or_404(fetched_by=request.user, clearing_id=clearing_id)
    context = {
        "c": clearing,
        "area": area_name(clearing.area_code),
        "subtotals": selectors.clearing_subtotals(clearing=clearing),
        "bureau": benefit_selectors.issuing_bureau(),
        "printed_at": timezone.localtime(),
        "printed_by": request.user,
    }
    return render(request, "benefits/remote/clearing_print.html", context)
