"""Staff pages of the benefits app: institutions and settlements. Thin: parse input, call a selector
or a service, render. The person's benefits panel and personal account are in person_views.py."""

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import district_in_scope, require_capability
from core.areas import area_name
from core.models import District
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import form_submit
from enrollment.selectors import get_person_for_user_or_404

from . import selectors, services
from .forms import (
    InstitutionRegisterForm,
    InstitutionUpdateForm,
    ManualSettlementForm,
    ReversalForm,
    SettlementFilterForm,
)
from .list_rows import settlement_rows_html
from .models import RemoteRule, Settlement


def _limit_districts(form, user) -> None:
    """District staff only ever pick their own district (as in enrollment's pages)."""
    if not user.is_city_wide:
        form.fields["district"].queryset = District.objects.filter(pk=user.district_id)
        form.fields["district"].initial = user.district_id


# Service field names that the manual reimbursement form shows under another name.
MANUAL_ALIASES = {"institution": "institution_code"}


@login_required
def institution_list(request):
    query = request.GET.get("q", "")
    institutions = selectors.institution_list(fetched_by=request.user, query=query)
    page = keyset_page(institutions, after=request.GET.get("after"))
    template = (
        "benefits/_institution_rows.html" if request.headers.get("HX-Request") else "benefits/institution_list.html"
    )
    context = {
        "page": page,
        "q": query,
        "query": urlencode({"q": query}) if query else "",
        "can_edit": request.user.has_capability(Capability.EDIT),
    }
    return render(request, template, context)


@login_required
def institution_register(request):
    require_capability(request.user, Capability.EDIT)
    form = InstitutionRegisterForm(request.POST or None)
    _limit_districts(form, request.user)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.institution_register(
            actor=request.user,
            name=data["name"],
            kind=data["kind"],
            level=data["level"],
            district_id=data["district"].pk,
            agreement_start=data["agreement_start"],
            agreement_end=data["agreement_end"],
            code=data["code"],
        ),
        success=lambda institution: _("已登记定点医药机构 %(code)s") % {"code": institution.code},
        then=lambda institution: redirect("benefits:institution_detail", institution_id=institution.pk),
    ):
        return response
    return render(request, "benefits/form.html", {"form": form, "title": _("登记定点医药机构")})


@login_required
def institution_detail(request, institution_id: int):
    """The institution and its agreement; staff who may edit change the agreement status here."""
    institution = selectors.get_institution_for_user_or_404(fetched_by=request.user, institution_id=institution_id)
    can_edit = request.user.has_capability(Capability.EDIT) and district_in_scope(
        user=request.user, district_id=institution.district_id
    )
    if request.method == "POST":
        require_capability(request.user, Capability.EDIT)
    form = InstitutionUpdateForm(request.POST or None, institution=institution) if can_edit else None
    if form is not None and (
        response := form_submit(
            request,
            form,
            call=lambda data: services.institution_update(
                actor=request.user,
                institution=institution,
                name=data["name"],
                level=data.get("level"),
                agreement_status=data["agreement_status"],
                agreement_start=data["agreement_start"],
                agreement_end=data["agreement_end"],
            ),
            success=_("已保存"),
            then=lambda _result: redirect("benefits:institution_detail", institution_id=institution.pk),
        )
    ):
        return response
    return render(request, "benefits/institution_detail.html", {"institution": institution, "form": form})


SETTLEMENT_ROW_FIELDS = (
    "settlement_number", "benefit_type", "service_date", "total_cost", "pooled_paid", "critical_paid", "aid_paid",
    "out_of_pocket", "kind", "status", "institution__name", "person__name", "person__id_number",
)  # fmt: skip


@login_required
def settlement_list(request):
    # Staff pages only: an institution's system account reads its settlements through the API.
    require_capability(request.user, Capability.VIEW)
    form = SettlementFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")} if form.is_valid() else {}
    # Only the columns the rows show: a settlement row has 40-odd, and building 50 full rows (with their
    # person and institution) was a fifth of the page's time.
    rows = selectors.settlement_list(fetched_by=request.user, filters=filters).only(*SETTLEMENT_ROW_FIELDS)
    page = keyset_page(rows, after=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "page": page,
        "rows": settlement_rows_html(page.items),
        "query": query.urlencode(),
        "can_edit": request.user.has_capability(Capability.EDIT),
    }
    return render(request, "benefits/settlement_list.html", context)


def _may_reverse(user, settlement: Settlement) -> bool:
    return (
        settlement.status == Settlement.Status.SETTLED
        and user.has_capability(Capability.REVIEW)
        and district_in_scope(user=user, district_id=settlement.district_id)
    )


def _remote_terms(settlement: Settlement) -> dict | None:
    """What the statement says about care outside the city: where, which rule under which filing, the points
    taken off the pooled ratio and the ratio paid. Their source is the first step, written when it was settled."""
    if not settlement.care_area_code:
        return None
    filing = settlement.filing
    rule = RemoteRule(settlement.remote_rule).label if settlement.remote_rule in RemoteRule.values else "—"
    if filing is not None:
        rule = _("%(rule)s（%(type)s，备案号 %(id)s）") % {
            "rule": rule, "type": filing.get_filing_type_display(), "id": filing.pk}  # fmt: skip
    points = (settlement.ratio_reduction * 100).normalize()
    ratio = max(Decimal(0), settlement.policy.ratio - settlement.ratio_reduction)
    return {
        "area": area_name(settlement.care_area_code),
        "rule": rule,
        "points": f"{points:f}",
        "ratio": ratio,
    }


def _statement(request, settlement: Settlement, reversal_form: ReversalForm | None = None, status: int = 200):
    if reversal_form is None and _may_reverse(request.user, settlement):
        reversal_form = ReversalForm()
    context = {
        "s": settlement,
        "remote": _remote_terms(settlement),
        "reversal_form": reversal_form if _may_reverse(request.user, settlement) else None,
        # The printed statement names who issues it, when and by whom it was printed.
        "bureau": selectors.issuing_bureau(),
        "printed_at": timezone.localtime(),
        "printed_by": request.user,
    }
    return render(request, "benefits/settlement_detail.html", context, status=status)


@login_required
def settlement_detail(request, settlement_id: int):
    """The printable settlement statement (结算单)."""
    require_capability(request.user, Capability.VIEW)
    settlement = selectors.get_settlement_for_user_or_404(fetched_by=request.user, settlement_id=settlement_id)
    return _statement(request, settlement)


@login_required
@require_POST
def settlement_reverse(request, settlement_id: int):
    require_capability(request.user, Capability.VIEW)
    settlement = selectors.get_settlement_for_user_or_404(fetched_by=request.user, settlement_id=settlement_id)
    require_capability(request.user, Capability.REVIEW)
    form = ReversalForm(request.POST)
    if request.POST.get("confirmed") != "1" and form.is_valid() and _may_reverse(request.user, settlement):
        # The first submit only says what 冲正 will do; the second (确认冲正) does it.
        return render(request, "benefits/settlement_reverse_confirm.html", {"s": settlement, "form": form})
    if response := form_submit(
        request,
        form,
        call=lambda data: services.settlement_reverse(actor=request.user, settlement=settlement, reason=data["reason"]),
        success=lambda result: _("已冲正") if result[1] else _("该结算此前已冲正，未重复处理"),
        then=lambda result: redirect("benefits:settlement_detail", settlement_id=result[0].pk),
    ):
        return response
    return _statement(request, settlement, reversal_form=form)


def _person_from_query(request):
    """?person=<pk> (the person page's link): that person, in the user's scope, or 404."""
    raw = request.GET.get("person", "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise Http404(_("记录不存在或不在您的管辖范围内。"))
    return get_person_for_user_or_404(fetched_by=request.user, person_id=int(raw))


@login_required
def settlement_manual(request):
    """零星报销: staff settle an invoice the patient paid in full, by the same rules, without the account.
    From the person page (?person=<pk>) the person is already chosen: no ID number to type or unmask.
    With a care area outside the city it is 异地就医 not settled directly: the institution there is
    recorded by its national code and the person's filing status on the day decides the ratio."""
    require_capability(request.user, Capability.EDIT)
    person = _person_from_query(request)
    form = ManualSettlementForm(request.POST or None, person=person)

    def settle(data):
        claim = services.SettlementRequest(
            settlement_number=data["settlement_number"],
            id_number=person.id_number if person is not None else data["id_number"],
            benefit_type=data["benefit_type"],
            service_date=data["service_date"],
            discharge_date=data["discharge_date"],
            total_cost=data["total_cost"],
            eligible_cost=data["eligible_cost"],
            chronic_disease_code=data["chronic_disease_code"],
            diagnosis_code=data["diagnosis_code"],
            use_account=False,
        )
        area = data["care_area_code"]
        if not area:
            institution = selectors.institution_by_code(code=data["institution_code"])
            if institution is None:
                raise ValidationError({"institution_code": _("机构编码不存在")})
            return services.settlement_create(
                actor=request.user, institution=institution, request=claim, kind=Settlement.Kind.MANUAL
            )
        return services.settlement_manual_elsewhere(
            actor=request.user,
            request=claim,
            care_area_code=area,
            institution_code=data["institution_code"],
            institution_name=data["institution_name"],
            institution_level=data["institution_level"],
        )

    def show(result):
        settlement, created = result
        if created:
            messages.success(request, _("已办理零星报销"))
        else:
            messages.info(request, _("该发票号已办理零星报销，显示原结算单，未重复支付"))
        return redirect("benefits:settlement_detail", settlement_id=settlement.pk)

    if response := form_submit(request, form, call=settle, then=show, aliases=MANUAL_ALIASES):
        return response
    context = {
        "form": form,
        "title": _("零星报销"),
        "person": person,
        "back_url": reverse("enrollment:person_detail", args=[person.pk])
        if person is not None
        else reverse("benefits:settlement_list"),
    }
    return render(request, "benefits/settlement_manual.html", context)
