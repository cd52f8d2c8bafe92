"""Staff forms of fund supervision. They only shape input; the services decide what is valid."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import DateField

from .models import CreditRating, Inspection

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


def money_messages(label) -> dict:
    return {
        "invalid": format_lazy(_("{}须为金额，如 1234.56"), label),
        "min_value": format_lazy(_("{}不能为负数"), label),
        "max_decimal_places": format_lazy(_("{}最多精确到分（两位小数）"), label),
        "max_digits": format_lazy(_("{}超出允许范围"), label),
        "max_whole_digits": format_lazy(_("{}超出允许范围"), label),
    }


def parse_ids(value: str) -> list[int]:
    parts = [p for p in str(value or "").replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if p]
    if not all(p.isdigit() for p in parts):
        raise ValidationError(_("疑点编号须为数字，多个编号用逗号分隔"))
    return [int(p) for p in parts]


class InspectionFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("检查类型"), required=False, choices=[("", _("全部"))] + Inspection.Kind.choices)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + Inspection.Status.choices)
    institution = forms.CharField(label=_("机构编码"), required=False, max_length=12)


class InspectionOpenForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("检查类型"),
        choices=Inspection.Kind.choices,
        initial=Inspection.Kind.ROUTINE,
        required=False,  # a select always sends one; a scripted POST without it means 日常检查, as in the API
        help_text=_("飞行检查指事先不通知的突击检查；专项检查针对某一类问题或某一领域"),
    )
    institution_code = forms.CharField(label=_("机构编码"), max_length=12)
    started_on = DateField(label=_("检查日期"), initial=dt.date.today)
    inspectors = forms.CharField(label=_("检查人员"), max_length=200)
    findings = forms.CharField(label=_("检查发现"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or Inspection.Kind.ROUTINE


class InspectionUpdateForm(forms.Form):
    inspectors = forms.CharField(label=_("检查人员"), max_length=200)
    findings = forms.CharField(label=_("检查发现"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    recovered_amount = forms.DecimalField(label=_("追回金额"), error_messages=money_messages(_("追回金额")), **MONEY)
    penalty_amount = forms.DecimalField(label=_("罚款金额"), error_messages=money_messages(_("罚款金额")), **MONEY)
    suspicion_ids = forms.CharField(
        label=_("关联疑点编号"), required=False, help_text=_("确认违规的本机构疑点，多个用逗号分隔")
    )

    def clean_suspicion_ids(self) -> list[int]:
        return parse_ids(self.cleaned_data.get("suspicion_ids", ""))


class InspectionCloseForm(forms.Form):
    closed_on = DateField(label=_("结案日期"), initial=dt.date.today)


class CreditRatingFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, required=False)
    grade = forms.ChoiceField(label=_("等级"), required=False, choices=[("", _("全部"))] + CreditRating.Grade.choices)
