"""Form helpers every app's views share, and the upload form of the 批量导入 page."""

import datetime as dt
from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .importing.registry import importer_for, upload_page_importers
from .models import District, ImportBatch

DATE_YEAR_MIN, DATE_YEAR_MAX = 1900, 2100
DATE_FORMAT_HINT = _("格式：年-月-日，例如 2023-03-01")


class DateInput(forms.DateInput):
    """A date box: the browser's date picker, limited to 1900..2100, with the format hint
    (templates/_fields.html shows it as "<id>_helptext") in its aria-describedby."""

    input_type = "date"

    def __init__(self, attrs=None):
        base = {"min": f"{DATE_YEAR_MIN}-01-01", "max": f"{DATE_YEAR_MAX}-12-31", "placeholder": "YYYY-MM-DD"}
        super().__init__(attrs={**base, **(attrs or {})}, format="%Y-%m-%d")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        if widget_attrs.get("id") and not widget_attrs.get("aria-describedby"):
            described = [f"{widget_attrs['id']}_helptext"]
            if widget_attrs.get("aria-invalid"):
                described.append(f"{widget_attrs['id']}_error")
            widget_attrs["aria-describedby"] = " ".join(described)
        return context


DATE = DateInput()


def date_year_in_range(value: dt.date) -> None:
    if not DATE_YEAR_MIN <= value.year <= DATE_YEAR_MAX:
        raise ValidationError(
            _("日期年份应在%(min)s至%(max)s之间，请按“年-月-日”填写，例如 2023-03-01。"),
            code="year_out_of_range",
            params={"min": DATE_YEAR_MIN, "max": DATE_YEAR_MAX},
        )


class DateField(forms.DateField):
    """The date field of every staff form: YYYY-MM-DD in the date box, years 1900..2100 only
    (a mistyped 0006 is refused next to the field instead of failing later as "不在协议期内")."""

    widget = DateInput
    default_validators = [date_year_in_range]
    default_error_messages = {"invalid": _("请按“年-月-日”填写日期，例如 2023-03-01。")}


def apply_service_errors(form: forms.Form, error: ValidationError, aliases: Mapping[str, str] | None = None) -> None:
    """Show a service's ValidationError next to the right field, or above the form.

    `aliases` maps a service's field name to the form's where the two differ ({"person": "member_id_number"})."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            name = aliases.get(field, field) if aliases else field
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: District) -> str:
        return f"{obj.code} {obj.name}"


class ImportUploadForm(forms.Form):
    # Kinds with their own upload page (aid-recipient lists) are not offered here.
    kind = forms.ChoiceField(label=_("类型"))
    file = forms.FileField(label=_("文件（CSV 或 XLSX）"))
    mode = forms.ChoiceField(label=_("导入方式"), choices=ImportBatch.Mode.choices, initial=ImportBatch.Mode.ATOMIC)
    effective_date = DateField(label=_("参保开始日期（参保人员名单）"), required=False)
    district = DistrictChoiceField(
        label=_("区县"), queryset=District.objects.order_by("code"), required=False, empty_label=_("全市")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        importers = upload_page_importers()
        self.fields["kind"].choices = [(i.kind, i.label) for i in importers]
        self.fields["kind"].initial = importers[0].kind if importers else None

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind and "effective_date" in importer_for(kind).options and not data.get("effective_date"):
            self.add_error("effective_date", _("导入参保人员名单须填写参保开始日期"))
        return data
