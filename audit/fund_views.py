"""基金运行分析 page: the fund books of a year per fund, budget execution, risk warnings and indicators,
with charts drawn by the vendored Chart.js."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from contributions.selectors import coverage_year_default
from core.forms import DistrictChoiceField
from core.models import District
from core.roles import Capability

from .fund_indicators import fund_indicators
from .fund_selectors import chart_data, fund_books, require_fund_access


class FundFilterForm(forms.Form):
    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100, error_messages={"invalid": _("年度须为四位数字，如 2023")}
    )
    district = DistrictChoiceField(
        label=_("区县"), queryset=District.objects.order_by("code"), required=False, to_field_name="code",
        empty_label=_("全市"),
    )  # fmt: skip


@login_required
def fund_dashboard(request):
    require_fund_access(request.user)
    data = request.GET.copy()
    data.setdefault("year", str(coverage_year_default()))  # the latest year with data, not an empty new year
    form = FundFilterForm(data)
    if not request.user.is_city_wide:
        del form.fields["district"]
    books = indicators = None
    if form.is_valid():
        year, district = form.cleaned_data["year"], form.cleaned_data.get("district")
        books = fund_books(fetched_by=request.user, year=year, district=district)
        indicators = fund_indicators(fetched_by=request.user, year=year, district=district)
    context = {
        "form": form, "books": books, "indicators": indicators, "charts": chart_data(books) if books else None,
        "can_post": request.user.has_capability(Capability.ADMINISTER),
    }  # fmt: skip
    return render(request, "audit/fund_dashboard.html", context, status=200 if books else 400)
