"""Staff pages of 异地就医备案: the district's list, a new filing (opened from the person page), one filing
with its rule, and its change and revocation forms. Thin: parse, call the service, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import district_in_scope, require_capability
from core.areas import area_name
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import form_submit
from enrollment.selectors import get_person_for_user_or_404

from . import remote_filing_selectors as selectors
from .models import RemoteCareFiling
from .models.remote import FilingType
from .remote_filing_forms import FilingChangeForm, FilingCreateForm, FilingFilterForm, FilingRevokeForm, FilingTypeForm
from .remote_selectors import remote_care_rule
from .services.remote_filings import (
    filing_change,
    filing_changeable_from,
    filing_create,
    filing_period_end,
    filing_revoke,
)

AUDIT_OBJECT_TYPE = "benefits.remotecarefiling"


def _person_from_query(request):
    raw = request.GET.get("person", "")
    if not raw.isdigit():
        raise Http404(_("记录不存在或不在您的管辖范围内。"))
    return get_person_for_user_or_404(fetched_by=request.user, person_id=int(raw))


def _filing_or_404(request, filing_id: int) -> RemoteCareFiling:
    return selectors.get_remote_filing_for_user_or_404(fetched_by=request.user, filing_id=filing_id)


def _editable(request, filing: RemoteCareFiling) -> bool:
    return (
        filing.status == RemoteCareFiling.Status.ACTIVE
        and request.user.has_capability(Capability.EDIT)
        and district_in_scope(user=request.user, district_id=filing.district_id)
    )


@login_required
def remote_filing_list(request):
    require_capability(request.user, Capability.VIEW)
    form = FilingFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filings = selectors.remote_filing_list(
        fetched_by=request.user,
        query=data.get("q", ""),
        filing_type=data.get("filing_type", ""),
        status=data.get("status", ""),
        destination=data.get("destination", ""),
    )
    if form.errors:
        filings = filings.none()
    query = request.GET.copy()
    query.pop("after", None)
    context = {"form": form, "page": keyset_page(filings, after=request.GET.get("after")), "query": query.urlencode()}
    return render(request, "benefits/remote/filing_list.html", context)


@login_required
def remote_filing_create(request):
    """From the person page (?person=<pk>). The type is chosen first (a plain GET): it decides the
    documents to check and the period; then the filing itself is posted."""
    require_capability(request.user, Capability.EDIT)
    person = _person_from_query(request)
    chosen = request.POST.get("filing_type") or request.GET.get("filing_type") or ""
    if chosen not in FilingType.values:
        chosen = FilingType.REFERRAL
    type_form = FilingTypeForm(initial={"filing_type": chosen}, auto_id="type_%s")
    today = timezone.localdate()
    try:
        rule = remote_care_rule(year=today.year, filing_type=chosen)
    except ValidationError:
        rule = None
    form = None
    if rule is not None:
        form = FilingCreateForm(request.POST or None, rule=rule, initial={"filing_type": chosen, "valid_from": today})
        if response := form_submit(
            request,
            form,
            call=lambda data: filing_create(
                actor=request.user,
                person=person,
                filing_type=data["filing_type"],
                destination_code=data["destination_code"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                documents_checked=data["documents_checked"],
                channel=RemoteCareFiling.Channel.COUNTER,
                note=data["note"],
            ),
            success=lambda filing: (
                _("已办理异地就医备案：%(type)s，备案号 %(pk)s")
                % {"type": filing.get_filing_type_display(), "pk": filing.pk}
            ),
            then=lambda filing: redirect("benefits:remote_filing_detail", filing_id=filing.pk),
            aliases={"destination_code": "city_code"},
        ):
            return response
    context = {
        "person": person,
        "type_form": type_form,
        "chosen_label": FilingType(chosen).label,
        "rule": rule,
        "default_end": filing_period_end(rule=rule, valid_from=today) if rule else None,
        "form": form,
        "back_url": reverse("enrollment:person_detail", args=[person.pk]) + "#remote-filings",
    }
    return render(request, "benefits/remote/filing_form.html", context, status=400 if form and form.errors else 200)


@login_required
def remote_filing_detail(request, filing_id: int):
    filing = _filing_or_404(request, filing_id)
    context = {
        "f": filing,
        "destination_name": area_name(filing.destination_code),
        # 0.1000 -> "10", not "1E+1"
        "reduction_points": f"{(filing.rule.ratio_reduction * 100).normalize():f}",
        "changeable_from": filing_changeable_from(filing=filing),
        "can_edit": _editable(request, filing),
        "history_url": (
            f"{reverse('audit:event_list')}?object_type={AUDIT_OBJECT_TYPE}&object_id={filing.pk}"
            if request.user.has_capability(Capability.VIEW_AUDIT)
            else ""
        ),
    }
    return render(request, "benefits/remote/filing_detail.html", context)


@login_required
def remote_filing_change(request, filing_id: int):
    filing = _filing_or_404(request, filing_id)
    require_capability(request.user, Capability.EDIT)  # another district's filing was a 404 already
    form = FilingChangeForm(request.POST or None, filing=filing)
    if response := form_submit(
        request,
        form,
        call=lambda data: filing_change(
            actor=request.user,
            filing=filing,
            destination_code=data["destination_code"],
            valid_to=data["valid_to"],
            documents_checked=data["documents_checked"],
            reason=data["reason"],
        ),
        success=_("已变更异地就医备案"),
        then=lambda result: redirect("benefits:remote_filing_detail", filing_id=result.pk),
        aliases={"destination_code": "city_code"},
    ):
        return response
    context = {"f": filing, "form": form, "changeable_from": filing_changeable_from(filing=filing)}
    return render(request, "benefits/remote/filing_change.html", context, status=400 if form.errors else 200)


@login_required
def remote_filing_revoke(request, filing_id: int):
    filing = _filing_or_404(request, filing_id)
    require_capability(request.user, Capability.EDIT)  # another district's filing was a 404 already
    form = FilingRevokeForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        call=lambda data: filing_revoke(actor=request.user, filing=filing, reason=data["reason"]),
        success=_("已撤销异地就医备案"),
        then=lambda result: redirect("benefits:remote_filing_detail", filing_id=result.pk),
    ):
        return response
    context = {"f": filing, "form": form, "changeable_from": filing_changeable_from(filing=filing)}
    return render(request, "benefits/remote/filing_revoke.html", context, status=400 if form.errors else 200)
