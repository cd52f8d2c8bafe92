"""Staff forms of the assistance app. They only shape input; the services decide what is valid."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateField, DistrictChoiceField
from core.models import District, ImportBatch
from enrollment.models import SCHEME_CATEGORIES, Category, Scheme

from .models import AidApplication, AidCategory, AidEnrollmentItem, AidRecipient, HighCostAlert
from .selectors import aid_year_default

ALL = [("", _("全部"))]


class RecipientFilterForm(forms.Form):
    q = forms.CharField(label=_("身份证号或姓名"), max_length=50, required=False)
    category = forms.ChoiceField(label=_("救助类别"), choices=ALL + AidCategory.choices, required=False)


class RecipientRegisterForm(forms.Form):
    id_number = forms.CharField(label=_("身份证号"), max_length=20, help_text=_("须已参保登记"))
    category = forms.ChoiceField(label=_("救助类别"), choices=AidCategory.choices)
    valid_from = DateField(label=_("认定开始日期"))
    valid_to = DateField(label=_("认定截止日期"), required=False)
    source = forms.ChoiceField(
        label=_("数据来源"), choices=AidRecipient.Source.choices, initial=AidRecipient.Source.BUREAU
    )


class RecipientEndForm(forms.Form):
    valid_to = DateField(label=_("认定截止日期"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class RecipientImportForm(forms.Form):
    file = forms.FileField(label=_("文件（CSV 或 XLSX）"))
    mode = forms.ChoiceField(label=_("导入方式"), choices=ImportBatch.Mode.choices, initial=ImportBatch.Mode.ATOMIC)
    source = forms.ChoiceField(
        label=_("数据来源（文件中未填写时）"),
        choices=AidRecipient.Source.choices,
        initial=AidRecipient.Source.CIVIL_AFFAIRS,
    )
    district = DistrictChoiceField(
        label=_("区县"), queryset=District.objects.order_by("code"), required=False, empty_label=_("全市")
    )


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=ALL + AidApplication.Status.choices, required=False)


class ApplicationSubmitForm(forms.Form):
    """Opened from the person page (?person=<pk>) it has no ID field: the person is already chosen."""

    id_number = forms.CharField(label=_("身份证号"), max_length=20)
    year = forms.IntegerField(label=_("年度"), initial=aid_year_default, min_value=2000, max_value=2100)
    requested_amount = forms.DecimalField(label=_("申请金额（元）"), max_digits=12, decimal_places=2)
    reason = forms.CharField(label=_("申请事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if person is not None:
            del self.fields["id_number"]


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("操作"), choices=AidApplication.Status.choices)
    reason = forms.CharField(
        label=_("审核意见"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "data_condition": _("驳回时必填")}),
    )
    approved_amount = forms.DecimalField(
        label=_("批准金额（元）"),
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"data_condition": _("批准时必填")}),
        help_text=_("不超过申请金额"),
    )

    def __init__(self, *args, approving: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not approving:
            del self.fields["approved_amount"]


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=ALL + HighCostAlert.Status.choices, required=False)
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)


class AlertHandleForm(forms.Form):
    """One per alert row: `auto_id` makes the ids unique on the page (id_alert<pk>_to_status)."""

    to_status = forms.ChoiceField(
        label=_("跟进结果"), choices=[c for c in HighCostAlert.Status.choices if c[0] != HighCostAlert.Status.OPEN]
    )
    note = forms.CharField(label=_("跟进情况"), max_length=500)


class WorklistFilterForm(forms.Form):
    q = forms.CharField(label=_("身份证号或姓名"), max_length=50, required=False)
    status = forms.ChoiceField(label=_("状态"), choices=ALL + AidEnrollmentItem.Status.choices, required=False)
    category = forms.ChoiceField(label=_("救助类别"), choices=ALL + AidCategory.choices, required=False)


class WorklistEnrollForm(forms.Form):
    """What the list does not give and the person register needs; ID number and name come from the list,
    gender and birth date from the ID number."""

    category = forms.ChoiceField(
        label=_("居民人员类别"), choices=[(c, Category(c).label) for c in SCHEME_CATEGORIES[Scheme.RESIDENT]]
    )
    tier = forms.ChoiceField(label=_("档次"), choices=[("1", _("一档")), ("2", _("二档"))])
    start_date = DateField(label=_("参保开始日期"), initial=dt.date.today)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    graduation_year = forms.IntegerField(
        label=_("毕业年份"), required=False, help_text=_("仅在校大学生：毕业当年待遇享受至12月31日")
    )
    coverage_year = forms.IntegerField(
        label=_("缴费年度"), min_value=2000, max_value=2100, help_text=_("按该年度的资助参保政策生成缴费单")
    )


class WorklistDismissForm(forms.Form):
    note = forms.CharField(
        label=_("核销原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如：已在外地参保、已迁出本区县、已死亡"),
    )


class CoverageRateForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, initial=aid_year_default)
    district = DistrictChoiceField(
        label=_("区县"), queryset=District.objects.order_by("code"), required=False, empty_label=_("全部")
    )
