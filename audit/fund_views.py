"""基金运行分析 page: per scheme and month of a year, with charts drawn by the vendored Chart.js."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from contributions.selectors import coverage_year_default
from core.forms import DistrictChoiceField
from core.models import District

from .fund_selectors import chart_data, fund_analysis, require_fund_access


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
    analysis = None
    if form.is_valid():
        analysis = fund_analysis(
            fetched_by=request.user, year=form.cleaned_data["year"], district=form.cleaned_data.get("district")
        )
    context = {"form": form, "analysis": analysis, "charts": chart_data(analysis) if analysis else None}
    return render(request, "audit/fund_dashboard.html", context, status=200 if analysis else 400)
