"""Form helpers every app's views share, and the upload form of the 批量导入 page."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .importing.registry import importer_for, upload_page_importers
from .models import District, ImportBatch

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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
    effective_date = forms.DateField(label=_("参保开始日期（参保人员名单）"), widget=DATE, required=False)
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
