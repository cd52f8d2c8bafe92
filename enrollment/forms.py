"""Staff forms. They only shape input; the services decide what is valid."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Category, ContributionPayment, District, Enrollment, ImportBatch, Scheme

TIER_CHOICES = [("", "—"), ("1", _("一档")), ("2", _("二档"))]
# <input type="date"> needs ISO dates whatever the language, or a stored value shows as an empty box.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the right field, or above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: District) -> str:
        return f"{obj.code} {obj.name}"


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
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    district = DistrictChoiceField(label=_("区县"), queryset=District.objects.order_by("code"))
    scheme = forms.ChoiceField(label=_("险种"), choices=Scheme.choices)
    start_date = forms.DateField(label=_("参保开始日期"), widget=DATE, initial=dt.date.today)

    field_order = [
        "id_number", "name", "phone", "district", "scheme", "category", "tier", "employer_code",
        "contribution_base", "graduation_year", "start_date",
    ]  # fmt: skip


class PersonEditForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)


class EnrollmentEditForm(EnrollmentTermsForm):
    pass


class TerminateForm(forms.Form):
    end_date = forms.DateField(label=_("终止日期"), widget=DATE)
    reason = forms.ChoiceField(
        label=_("终止原因"),
        choices=[(v, label) for v, label in Enrollment.EndReason.choices if v != Enrollment.EndReason.TRANSFERRED],
    )


class TransferForm(forms.Form):
    to_district = DistrictChoiceField(label=_("转入区县"), queryset=District.objects.order_by("code"))
    transfer_date = forms.DateField(label=_("转入日期"), widget=DATE)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("缴费金额"), max_digits=12, decimal_places=2)
    paid_on = forms.DateField(label=_("缴费日期"), widget=DATE, initial=dt.date.today)
    reference = forms.CharField(label=_("缴费流水号"), max_length=64)
    channel = forms.ChoiceField(label=_("缴费渠道"), choices=ContributionPayment.Channel.choices)


class EmployerForm(forms.Form):
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    name = forms.CharField(label=_("单位名称"), max_length=200)
    district = DistrictChoiceField(label=_("区县"), queryset=District.objects.order_by("code"))


class ImportUploadForm(forms.Form):
    # Aid-recipient lists have their own upload page (assistance:recipient_import).
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[c for c in ImportBatch.Kind.choices if c[0] != ImportBatch.Kind.AID_RECIPIENTS],
        initial=ImportBatch.Kind.ENROLLEES,
    )
    file = forms.FileField(label=_("文件（CSV 或 XLSX）"))
    mode = forms.ChoiceField(label=_("导入方式"), choices=ImportBatch.Mode.choices, initial=ImportBatch.Mode.ATOMIC)
    effective_date = forms.DateField(label=_("参保开始日期（参保人员名单）"), widget=DATE, required=False)
    district = DistrictChoiceField(
        label=_("区县"), queryset=District.objects.order_by("code"), required=False, empty_label=_("全市")
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == ImportBatch.Kind.ENROLLEES and not data.get("effective_date"):
            self.add_error("effective_date", _("导入参保人员名单须填写参保开始日期"))
        return data
