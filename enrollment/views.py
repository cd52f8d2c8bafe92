"""Staff pages of the enrollment app. Thin: parse input, call a selector or service, render."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import district_in_scope, require_capability
from core.models import District
from core.pagination import keyset_page
from core.roles import Capability
from core.views_helpers import form_submit
from enrollment.forms import (
    EmployerForm,
    EnrollmentEditForm,
    PersonDeathForm,
    PersonEditForm,
    PersonEnrollForm,
    TerminateForm,
    TransferForm,
)

from . import selectors, services
from .panels import person_panels_html


def _limit_districts(form, user) -> None:
    """District staff only ever pick their own district."""
    if "district" in form.fields and not user.is_city_wide:
        form.fields["district"].queryset = District.objects.filter(pk=user.district_id)
        form.fields["district"].initial = user.district_id


def _employer_id(form) -> int | None:
    code = form.cleaned_data.get("employer_code")
    if not code:
        return None
    employer = selectors.employer_by_code(credit_code=code)
    if employer is None:
        raise ValidationError({"employer_code": "参保单位未登记，请先登记该单位"})
    return employer.pk


def _enroll_from_form(request, form: PersonEnrollForm, person):
    data = form.cleaned_data
    return services.enrollment_register(
        actor=request.user,
        person=person,
        scheme=data["scheme"],
        category=data["category"],
        tier=data["tier"] or None,
        district_id=data["district"].pk,
        employer_id=_employer_id(form),
        contribution_base=data["contribution_base"],
        graduation_year=data["graduation_year"],
        start_date=data["start_date"],
    )


def _search_problem_text(problem: str) -> str:
    return {
        selectors.SearchProblem.ID_TOO_SHORT: _("身份证号至少输入前%(n)s位，才能按号码查询。")
        % {"n": selectors.ID_PREFIX_MIN},
        selectors.SearchProblem.ID_TOO_LONG: _("身份证号最多18位，请检查输入。"),
        selectors.SearchProblem.NAME_TOO_SHORT: _("姓名至少输入%(n)s个字，且须输入完整姓名。")
        % {"n": selectors.NAME_MIN},
    }.get(problem, "")


@login_required
def person_list(request):
    query = request.GET.get("q", "")
    people = selectors.person_list(fetched_by=request.user, query=query)
    page = keyset_page(people, after=request.GET.get("after"))
    template = "enrollment/_person_rows.html" if request.headers.get("HX-Request") else "enrollment/person_list.html"
    context = {
        "page": page,
        "q": query,
        "query": urlencode({"q": query}) if query else "",
        "query_problem": _search_problem_text(selectors.person_query_problem(query=query)),
        "id_prefix_min": selectors.ID_PREFIX_MIN,
        "name_min": selectors.NAME_MIN,
        "can_edit": request.user.has_capability(Capability.EDIT),
    }
    return render(request, template, context)


@login_required
def person_detail(request, person_id: int):
    person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    context = {
        "person": person,
        "enrollments": selectors.person_enrollments(person=person),
        "transfers": selectors.person_transfers(person=person),
        "can_edit": request.user.has_capability(Capability.EDIT)
        and district_in_scope(user=request.user, district_id=person.district_id),
        "can_unmask": request.user.has_capability(Capability.UNMASK),
        "panels": person_panels_html(request, person),
    }
    return render(request, "enrollment/person_detail.html", context)


@login_required
@require_POST
def person_reveal_id(request, person_id: int):
    person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    return HttpResponse(services.person_reveal_id_number(actor=request.user, person=person))


@login_required
def person_register(request):
    require_capability(request.user, Capability.EDIT)
    form = PersonEnrollForm(request.POST or None)
    _limit_districts(form, request.user)

    def register(data):
        with transaction.atomic():  # the person and the first enrollment, or neither
            person = services.person_register(
                actor=request.user,
                id_number=data["id_number"],
                name=data["name"],
                phone=data["phone"],
                district_id=data["district"].pk,
            )
            _enroll_from_form(request, form, person)
        return person

    if response := form_submit(
        request,
        form,
        call=register,
        success=lambda person: _("已登记参保人 %(name)s") % {"name": person.name},
        then=lambda person: redirect("enrollment:person_detail", person_id=person.pk),
    ):
        return response
    context = {"form": form, "title": _("参保登记")}
    if form.is_bound and form.has_error("id_number"):
        existing, registered = selectors.person_already_registered(
            fetched_by=request.user, id_number=form.data.get("id_number", "")
        )
        context |= {"existing_person": existing, "registered_elsewhere": registered and existing is None}
    return render(request, "enrollment/form.html", context)


@login_required
def person_edit(request, person_id: int):
    person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    require_capability(request.user, Capability.EDIT)
    form = PersonEditForm(request.POST or None, initial={"name": person.name, "phone": person.phone})
    if response := form_submit(
        request,
        form,
        call=lambda data: services.person_update(actor=request.user, person=person, **data),
        success=_("已保存"),
        then=lambda _result: redirect("enrollment:person_detail", person_id=person.pk),
    ):
        return response
    return render(
        request, "enrollment/form.html", {"form": form, "title": _("修改参保人信息：%(name)s") % {"name": person.name}}
    )


@login_required
def person_death(request, person_id: int):
    """死亡登记: the date and its document; the person's open enrollments end as of that day."""
    person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    require_capability(request.user, Capability.EDIT)
    form = PersonDeathForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.person_death_record(actor=request.user, person=person, **data),
        success=_("已登记死亡，参保登记已终止"),
        then=lambda _result: redirect("enrollment:person_detail", person_id=person.pk),
    ):
        return response
    title = _("死亡登记：%(name)s") % {"name": person.name}
    return render(request, "enrollment/form.html", {"form": form, "title": title, "danger": True})


@login_required
def enrollment_add(request, person_id: int):
    """A new enrollment for a known person (after a termination, or a change of scheme)."""
    person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=person_id)
    require_capability(request.user, Capability.EDIT)
    form = PersonEnrollForm(request.POST or None, initial={"id_number": person.masked_id_number, "name": person.name})
    for field in ("id_number", "name", "phone"):
        form.fields[field].required = False
        form.fields[field].disabled = True
    _limit_districts(form, request.user)
    if response := form_submit(
        request,
        form,
        call=lambda _data: _enroll_from_form(request, form, person),
        success=_("已新增参保登记"),
        then=lambda _result: redirect("enrollment:person_detail", person_id=person.pk),
    ):
        return response
    return render(
        request, "enrollment/form.html", {"form": form, "title": _("新增参保登记：%(name)s") % {"name": person.name}}
    )


@login_required
def enrollment_edit(request, enrollment_id: int):
    enrollment = selectors.get_enrollment_for_user_or_404(fetched_by=request.user, enrollment_id=enrollment_id)
    require_capability(request.user, Capability.EDIT)
    initial = {
        "category": enrollment.category,
        "tier": enrollment.tier or "",
        "employer_code": enrollment.employer.credit_code if enrollment.employer else "",
        "contribution_base": enrollment.contribution_base,
        "graduation_year": enrollment.graduation_year,
    }
    form = EnrollmentEditForm(request.POST or None, initial=initial)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.enrollment_update(
            actor=request.user,
            enrollment=enrollment,
            category=data["category"],
            tier=data["tier"] or None,
            employer_id=_employer_id(form),
            contribution_base=data["contribution_base"],
            graduation_year=data["graduation_year"],
        ),
        success=_("已保存"),
        then=lambda _result: redirect("enrollment:person_detail", person_id=enrollment.person_id),
    ):
        return response
    return render(request, "enrollment/form.html", {"form": form, "title": _("修改参保登记")})


@login_required
def enrollment_terminate(request, enrollment_id: int):
    enrollment = selectors.get_enrollment_for_user_or_404(fetched_by=request.user, enrollment_id=enrollment_id)
    require_capability(request.user, Capability.EDIT)
    form = TerminateForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.enrollment_terminate(actor=request.user, enrollment=enrollment, **data),
        success=_("已终止参保登记"),
        then=lambda _result: redirect("enrollment:person_detail", person_id=enrollment.person_id),
    ):
        return response
    return render(request, "enrollment/form.html", {"form": form, "title": _("终止参保登记"), "danger": True})


@login_required
def enrollment_transfer(request, enrollment_id: int):
    enrollment = selectors.get_enrollment_for_user_or_404(fetched_by=request.user, enrollment_id=enrollment_id)
    require_capability(request.user, Capability.EDIT)
    form = TransferForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.enrollment_transfer(
            actor=request.user,
            enrollment=enrollment,
            to_district_id=data["to_district"].pk,
            transfer_date=data["transfer_date"],
        ),
        success=_("已办理转移接续"),
        # The person now belongs to the other district: a district clerk can no longer open them.
        then=lambda _result: (
            redirect("enrollment:person_detail", person_id=enrollment.person_id)
            if request.user.is_city_wide
            else redirect("enrollment:person_list")
        ),
    ):
        return response
    return render(request, "enrollment/form.html", {"form": form, "title": _("转移接续")})


@login_required
def employer_list(request):
    query = request.GET.get("q", "")
    page = keyset_page(selectors.employer_list(fetched_by=request.user, query=query), after=request.GET.get("after"))
    context = {
        "page": page,
        "q": query,
        "query": urlencode({"q": query}) if query else "",
        "can_edit": request.user.has_capability(Capability.EDIT),
    }
    return render(request, "enrollment/employer_list.html", context)


@login_required
def employer_register(request):
    require_capability(request.user, Capability.EDIT)
    form = EmployerForm(request.POST or None)
    _limit_districts(form, request.user)
    if response := form_submit(
        request,
        form,
        call=lambda data: services.employer_register(
            actor=request.user,
            credit_code=data["credit_code"],
            name=data["name"],
            district_id=data["district"].pk,
        ),
        success=_("已登记参保单位"),
        then=lambda _result: redirect("enrollment:employer_list"),
    ):
        return response
    return render(request, "enrollment/form.html", {"form": form, "title": _("登记参保单位")})
