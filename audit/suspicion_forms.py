"""Staff forms of the suspicion queue. They only shape input; the services decide what is valid."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.selectors import coverage_year_default
from core.forms import DateField

from .models import FraudRule, Suspicion


def _rule_choices(blank: str):
    return [("", blank), *((r.code, r.name) for r in FraudRule.objects.order_by("code"))]


class SuspicionFilterForm(forms.Form):
    rule = forms.ChoiceField(label=_("规则"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *Suspicion.Status.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = _rule_choices(_("全部"))


class FraudScanForm(forms.Form):
    start = DateField(label=_("就诊日期自"), error_messages={"required": _("请填写开始日期")})
    end = DateField(label=_("至"), error_messages={"required": _("请填写截止日期")})
    rule = forms.ChoiceField(label=_("规则"), required=False)

    def __init__(self, *args, **kwargs):
        # The window offered first: the latest coverage year with data (up to today), not an empty new year.
        year = coverage_year_default()
        end = min(dt.date(year, 12, 31), timezone.localdate())
        kwargs.setdefault("initial", {"start": dt.date(year, 1, 1), "end": end})
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = _rule_choices(_("全部启用的规则"))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("核查结论"),
        choices=[(Suspicion.Status.CONFIRMED, _("确认违规")), (Suspicion.Status.DISMISSED, _("排除"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择核查结论")},
    )
    reason = forms.CharField(
        label=_("核查意见"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写核查意见")},
    )
