"""Forms of the 异地就医备案 staff pages. The rules live in services/remote_filings.py; these only collect
the input (the documents offered are the rule's list for the chosen filing type)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.areas import area_choices
from core.forms import DateField

from .models import RemoteCareFiling, RemoteCareRule
from .models.remote import FilingType

Status = RemoteCareFiling.Status


def _all(label) -> list[tuple[str, str]]:
    return [("", label)]


class FilingFilterForm(forms.Form):
    q = forms.CharField(
        label=_("姓名或身份证号"),
        required=False,
        max_length=50,
        help_text=_("身份证号须完整18位；姓名可只填开头几个字"),
    )
    filing_type = forms.ChoiceField(label=_("备案类型"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)
    destination = forms.ChoiceField(label=_("就医地"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["filing_type"].choices = _all(_("全部")) + list(FilingType.choices)
        self.fields["status"].choices = _all(_("全部")) + list(Status.choices)
        self.fields["destination"].choices = _all(_("全部")) + area_choices()


class FilingTypeForm(forms.Form):
    """Step one of a new filing (a plain GET): the type decides the documents and the period."""

    filing_type = forms.ChoiceField(label=_("备案类型"), choices=FilingType.choices)


class _DestinationMixin:
    def _destination_fields(self) -> None:
        self.fields["destination"] = forms.ChoiceField(label=_("就医地（省级）"), choices=area_choices())
        self.fields["city_code"] = forms.CharField(
            label=_("就医地市级代码"),
            required=False,
            max_length=6,
            help_text=_("只在省内某一城市就医时填写该市6位行政区划代码（如 440300）；不填则全省有效"),
        )

    def clean_destination_code(self, data) -> str:
        city = (data.get("city_code") or "").strip()
        province = data.get("destination") or ""
        if city and province and city[:2] != province[:2]:
            self.add_error("city_code", _("市级代码须属于所选省份"))
        return city or province


class FilingCreateForm(_DestinationMixin, forms.Form):
    filing_type = forms.ChoiceField(choices=FilingType.choices, widget=forms.HiddenInput)

    def __init__(self, *args, rule: RemoteCareRule, **kwargs):
        super().__init__(*args, **kwargs)
        self._destination_fields()
        self.fields["valid_from"] = DateField(label=_("备案开始日期"), help_text=_("可早于今天（补办备案）"))
        self.fields["valid_to"] = DateField(
            label=_("备案截止日期"),
            required=False,
            help_text=_("不填：临时备案按政策有效期自动计算，长期备案长期有效至撤销"),
        )
        known = list(dict.fromkeys([*rule.required_documents, *rule.self_service_documents]))
        self.fields["documents_checked"] = forms.MultipleChoiceField(
            label=_("已查验材料"),
            required=False,
            choices=[(d, d) for d in known],
            widget=forms.CheckboxSelectMultiple,
            help_text=_("窗口办理须查验：%(docs)s") % {"docs": "、".join(rule.required_documents) or "—"},
        )
        self.fields["note"] = forms.CharField(label=_("备注"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        data["destination_code"] = self.clean_destination_code(data)
        return data


class FilingChangeForm(_DestinationMixin, forms.Form):
    def __init__(self, *args, filing: RemoteCareFiling, **kwargs):
        code = filing.destination_code
        province = f"{code[:2]}0000"
        initial = {
            "destination": province,
            "city_code": "" if code == province else code,
            "valid_to": filing.valid_to,
            "documents_checked": list(filing.documents_checked),
        }
        super().__init__(*args, initial=initial, **kwargs)
        rule = filing.rule
        self._destination_fields()
        self.fields["valid_to"] = DateField(label=_("备案截止日期"), required=False, help_text=_("不填则不变"))
        known = list(dict.fromkeys([*rule.required_documents, *rule.self_service_documents]))
        self.fields["documents_checked"] = forms.MultipleChoiceField(
            label=_("已查验材料"),
            required=False,
            choices=[(d, d) for d in known],
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["reason"] = forms.CharField(label=_("变更原因"), max_length=200)

    def clean(self):
        data = super().clean()
        data["destination_code"] = self.clean_destination_code(data)
        return data


class FilingRevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=200)
