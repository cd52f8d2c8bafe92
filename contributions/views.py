"""Staff pages of money in: issue a bill, record a counter payment, the bills panel of the person page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import district_in_scope, require_capability
from core.roles import Capability
from core.views_helpers import action_submit, form_submit
from enrollment import selectors as enrollment_selectors

from . import selectors, services
from .forms import PaymentForm


def person_bills_panel(request, person) -> str:
    """The person page's 缴费单 section (registered with enrollment's person-page panels)."""
    can_edit = request.user.has_capability(Capability.EDIT)
    bills = list(selectors.person_bills(person=person))
    for bill in bills:  # a bill kept by the district the person moved from is theirs to take payments on
        bill.can_pay = (
            can_edit and bill.status != "paid" and district_in_scope(user=request.user, district_id=bill.district_id)
        )
    context = {
        "person": person,
        "bills": bills,
        "enrollments": enrollment_selectors.person_enrollments(person=person).filter(status="active"),
        "can_edit": can_edit and district_in_scope(user=request.user, district_id=person.district_id),
        "default_year": selectors.coverage_year_default(),
    }
    return render_to_string("contributions/_person_bills.html", context, request=request)


@login_required
@require_POST
def bill_issue(request, enrollment_id: int):
    enrollment = enrollment_selectors.get_enrollment_for_user_or_404(
        fetched_by=request.user, enrollment_id=enrollment_id
    )
    try:
        year = int(request.POST.get("coverage_year", ""))
    except ValueError:
        messages.error(request, _("参保年度应为四位数字"))
    else:
        existed = selectors.person_bills(person=enrollment.person).filter(coverage_year=year).exists()
        action_submit(
            request,
            lambda: services.contribution_bill_issue(actor=request.user, enrollment=enrollment, coverage_year=year),
            # issuing twice returns the first bill: say so rather than "issued"
            success=(_("%(year)s年度缴费单已存在，未重复生成") if existed else _("已生成%(year)s年度缴费单"))
            % {"year": year},
        )
    return redirect("enrollment:person_detail", person_id=enrollment.person_id)


@login_required
def payment_record(request, bill_id: int):
    bill = selectors.get_bill_for_user_or_404(fetched_by=request.user, bill_id=bill_id)
    require_capability(request.user, Capability.EDIT)
    form = PaymentForm(request.POST or None, initial={"amount": bill.outstanding, "channel": "counter"})
    if response := form_submit(
        request,
        form,
        call=lambda data: services.payment_record(actor=request.user, bill=bill, **data),
        success=lambda result: _("已记录缴费") if result[1] else _("该缴费流水号已记录，未重复入账"),
        then=lambda _result: redirect("enrollment:person_detail", person_id=bill.person_id),
    ):
        return response
    title = _("记录缴费：%(name)s %(year)s年度（未缴 %(owed)s 元）") % {
        "name": bill.person.name,
        "year": bill.coverage_year,
        "owed": bill.outstanding,
    }
    return render(request, "enrollment/form.html", {"form": form, "title": title})
