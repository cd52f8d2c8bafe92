"""Staff forms. They only shape input; the services decide what is valid."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateField, DistrictChoiceField
from core.models import District
from enrollment.models import Category, Enrollment, Scheme
from enrollment.validators import person_name_validator

TIER_CHOICES = [("", "—"), ("1", _("一档")), ("2", _("二档"))]
# <input type="date"> needs ISO dates whatever the language, or a stored value shows as an empty box.


class EnrollmentTermsForm(forms.Form):
    category = forms.ChoiceField(label=_("人员类别"), choices=Category.choices)
    tier = forms.ChoiceField(label=_("档次"), choices=TIER_CHOICES, required=False)
    employer_code = forms.CharField(label=_("单位信用代码"), max_length=18, required=False)
    contribution_base = forms.DecimalField(
        label=_("缴费基数"), max_digits=12, decimal_places=2, required=False, min_value=0
    )
    graduation_year = forms.IntegerField(
        label=_("毕业年份"), required=False, help_text=_("仅在校大学生：毕业当年待遇享受至12月31日")
    )


class PersonEnrollForm(EnrollmentTermsForm):
    id_number = forms.CharField(label=_("身份证号"), max_length=40)
    name = forms.CharField(label=_("姓名"), max_length=50, validators=[person_name_validator])
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    district = DistrictChoiceField(label=_("区县"), queryset=District.objects.order_by("code"))
    scheme = forms.ChoiceField(label=_("险种"), choices=Scheme.choices)
    start_date = DateField(label=_("参保开始日期"), initial=dt.date.today)

    field_order = [
        "id_number", "name", "phone", "district", "scheme", "category", "tier", "employer_code",
        "contribution_base", "graduation_year", "start_date",
    ]  # fmt: skip


class PersonEditForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50, validators=[person_name_validator])
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)


class EnrollmentEditForm(EnrollmentTermsForm):
    pass


class TerminateForm(forms.Form):
    end_date = DateField(label=_("终止日期"))
    reason = forms.ChoiceField(
        label=_("终止原因"),
        choices=[(v, label) for v, label in Enrollment.EndReason.choices if v != Enrollment.EndReason.TRANSFERRED],
    )
    death_date = DateField(
        label=_("死亡日期"), required=False, help_text=_("终止原因为死亡时必填，与终止日期相同；将同时登记死亡")
    )
    death_source_document = forms.CharField(
        label=_("死亡证明材料"), max_length=200, required=False, help_text=_("终止原因为死亡时必填")
    )


class PersonDeathForm(forms.Form):
    death_date = DateField(label=_("死亡日期"))
    source_document = forms.CharField(
        label=_("死亡证明材料"), max_length=200, help_text=_("如死亡医学证明编号、户籍注销证明、火化证明")
    )


class TransferForm(forms.Form):
    to_district = DistrictChoiceField(label=_("转入区县"), queryset=District.objects.order_by("code"))
    transfer_date = DateField(label=_("转入日期"))


class EmployerForm(forms.Form):
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    name = forms.CharField(label=_("单位名称"), max_length=200)
    district = DistrictChoiceField(label=_("区县"), queryset=District.objects.order_by("code"))
