"""Staff pages of one insured person's benefits: the panel on the person page (year totals, recent
settlements, chronic-disease registrations) and the personal account (ledger, 家庭共济, payments)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contributions.models import ContributionBill
from core.access import require_capability
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import action_submit, form_submit
from enrollment.models import Scheme
from enrollment.selectors import get_person_for_user_or_404

from . import selectors, services
from .forms import AccountPaymentForm, ChronicRegistrationForm, FamilyBindingForm

RECENT_SETTLEMENTS = 10


def _person_page(person) -> str:
    return reverse("enrollment:person_detail", args=[person.pk]) + "#benefits"


def _panel(request, person, chronic_form: ChronicRegistrationForm | None = None, status: int = 200):
    """The panel alone for htmx (loaded into the person page), or inside a full page otherwise."""
    can_edit = request.user.has_capability(Capability.EDIT)
    if chronic_form is None and can_edit:
        chronic_form = ChronicRegistrationForm(diseases=selectors.chronic_disease_list())
    settlements = selectors.settlement_list(fetched_by=request.user, filters={"person_id": person.pk})
    context = {
        "person": person,
        "accumulators": selectors.person_accumulators(person=person),
        "settlements": settlements.order_by("-service_date", "-id")[:RECENT_SETTLEMENTS],
        "registrations": selectors.person_chronic_registrations(person=person),
        "account": selectors.person_account(person=person),
        "chronic_form": chronic_form,
        "can_edit": can_edit,
    }
    template = "benefits/_person_panel.html" if request.headers.get("HX-Request") else "benefits/person_benefits.html"
    return render(request, template, context, status=status)


@login_required
def person_panel(request, person_id: int):
    person = get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    return _panel(request, person)


@login_required
@require_POST
def chronic_add(request, person_id: int):
    person = get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    require_capability(request.user, Capability.EDIT)
    form = ChronicRegistrationForm(request.POST, diseases=selectors.chronic_disease_list())
    if response := form_submit(
        request,
        form,
        call=lambda data: services.chronic_registration_create(
            actor=request.user,
            person=person,
            disease_code=data["disease"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            certified_by=data["certified_by"],
        ),
        success=lambda registration: _("已登记门诊慢特病：%(name)s") % {"name": registration.disease.name},
        then=lambda _result: redirect(_person_page(person)),
    ):
        return response
    return _panel(request, person, chronic_form=form)


@login_required
@require_POST
def chronic_revoke(request, person_id: int, registration_id: int):
    person = get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    require_capability(request.user, Capability.EDIT)
    registration = selectors.person_chronic_registrations(person=person).filter(pk=registration_id).first()
    if registration is None:
        raise Http404(_("记录不存在或不在您的管辖范围内。"))
    action_submit(
        request,
        lambda: services.chronic_registration_revoke(actor=request.user, registration=registration),
        success=_("已撤销门诊慢特病登记：%(name)s") % {"name": registration.disease.name},
    )
    return redirect(_person_page(person))


def _open_family_bills(family) -> list[ContributionBill]:
    """Resident bills still open of the bound relatives: what the account may pay (one query)."""
    return list(
        ContributionBill.objects.filter(person_id__in=[b.member_id for b in family], scheme=Scheme.RESIDENT)
        .exclude(status=ContributionBill.Status.PAID)
        .select_related("person")
        .order_by("-coverage_year", "-id")
    )


def _account_page(request, person, binding_form=None, payment_form=None, status: int = 200):
    account = selectors.person_account(person=person)
    can_edit = request.user.has_capability(Capability.EDIT)
    family = list(selectors.account_family(account=account)) if account else []
    if can_edit and account:
        binding_form = binding_form or FamilyBindingForm()
        payment_form = payment_form or AccountPaymentForm(bills=_open_family_bills(family))
    context = {
        "person": person,
        "account": account,
        "page": keyset_page(selectors.account_entries(account=account), after=request.GET.get("after"))
        if account
        else None,
        "query": "",
        "family": family,
        "binding_form": binding_form if can_edit else None,
        "payment_form": payment_form if can_edit else None,
        "can_edit": can_edit,
    }
    return render(request, "benefits/account_detail.html", context, status=status)


def _account_url(person) -> str:
    return reverse("benefits:account_detail", args=[person.pk])


@login_required
def account_detail(request, person_id: int):
    person = get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    return _account_page(request, person)


@login_required
@require_POST
def family_add(request, person_id: int):
    person = get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    require_capability(request.user, Capability.EDIT)
    form = FamilyBindingForm(request.POST)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.family_binding_create(actor=request.user, holder=person, **data),
        success=_("已绑定家庭共济人员"),
        then=lambda _result: redirect(_account_url(person)),
        aliases={"person": "member_id_number"},
    ):
        return response
    return _account_page(request, person, binding_form=form)


@login_required
@require_POST
def family_end(request, person_id: int, binding_id: int):
    person = get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    require_capability(request.user, Capability.EDIT)
    account = selectors.person_account(person=person)
    binding = selectors.account_family(account=account).filter(pk=binding_id).first() if account else None
    if binding is None:
        raise Http404(_("记录不存在或不在您的管辖范围内。"))
    action_submit(
        request,
        lambda: services.family_binding_end(actor=request.user, binding=binding),
        success=_("已解除家庭共济绑定"),
    )
    return redirect(_account_url(person))


@login_required
@require_POST
def account_pay(request, person_id: int):
    person = get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    require_capability(request.user, Capability.EDIT)
    account = selectors.person_account(person=person)
    family = list(selectors.account_family(account=account)) if account else []
    form = AccountPaymentForm(request.POST, bills=_open_family_bills(family))
    if response := form_submit(
        request,
        form,
        call=lambda data: services.account_payment_record(actor=request.user, holder=person, **data),
        success=_("已从个人账户支付"),
        then=lambda _result: redirect(_account_url(person)),
        aliases={"holder": "purpose"},
    ):
        return response
    return _account_page(request, person, payment_form=form)


def person_panel_loader(request, person) -> str:
    """The person page's 医保待遇 section: a placeholder htmx replaces with `person_panel`."""
    return render_to_string("benefits/_person_panel_loader.html", {"person": person}, request=request)
