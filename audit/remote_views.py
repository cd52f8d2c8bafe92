"""异地就医 indicators page: the year's figures in the user's scope, by district and by area, with two
charts drawn by the vendored Chart.js (the tables carry every figure the charts show)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core.forms import DistrictChoiceField
from core.models import District

from .fund_selectors import require_fund_access
from .remote_indicators import chart_data, remote_indicators, remote_year_default


class RemoteFilterForm(forms.Form):
    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100, error_messages={"invalid": _("年度须为四位数字，如 2023")}
    )
    district = DistrictChoiceField(
        label=_("区县"), queryset=District.objects.order_by("code"), required=False, to_field_name="code",
        empty_label=_("全市"),
    )  # fmt: skip

    def __init__(self, data, *, user):
        data = data.copy()
        if not data.get("year"):
            data["year"] = str(remote_year_default())  # the latest year with data, not an empty new year
        super().__init__(data)
        if not user.is_city_wide:
            del self.fields["district"]  # district staff see their district whatever they ask


@login_required
def remote_dashboard(request):
    require_fund_access(request.user)
    form = RemoteFilterForm(request.GET, user=request.user)
    indicators = None
    if form.is_valid():
        indicators = remote_indicators(
            fetched_by=request.user, year=form.cleaned_data["year"], district=form.cleaned_data.get("district")
        )
    context = {"form": form, "data": indicators, "charts": chart_data(indicators) if indicators else None}
    return render(request, "audit/remote_dashboard.html", context, status=200 if indicators else 400)
