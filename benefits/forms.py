"""Staff forms of the benefits app. They only shape input; the services decide what is valid."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.areas import area_choices, area_code_clean, area_name, is_home_area
from core.forms import DateField, DateInput, DistrictChoiceField
from core.models import District

from . import selectors
from .models import AccountEntry, BenefitType, FamilyBinding, Institution, Settlement

# ISO format: an <input type="date"> shows nothing for a value in the locale's own format (2023/01/01).
LEVEL_CHOICES = [("", "—"), ("1", _("一级")), ("2", _("二级")), ("3", _("三级"))]
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


def _level(value: str) -> int | None:
    return int(value) if value else None


class InstitutionRegisterForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=200)
    kind = forms.ChoiceField(label=_("机构类型"), choices=Institution.Kind.choices)
    level = forms.TypedChoiceField(
        label=_("医院等级"), choices=LEVEL_CHOICES, coerce=_level, empty_value=None, required=False,
        help_text=_("药店不填"),
    )  # fmt: skip
    district = DistrictChoiceField(label=_("区县"), queryset=District.objects.order_by("code"))
    agreement_start = DateField(label=_("协议开始日期"), initial=dt.date.today)
    agreement_end = DateField(label=_("协议截止日期"), required=False)
    code = forms.CharField(label=_("机构编码"), max_length=12, required=False, help_text=_("不填则按区县自动编号"))


class InstitutionUpdateForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=200)
    level = forms.TypedChoiceField(
        label=_("医院等级"), choices=LEVEL_CHOICES, coerce=_level, empty_value=None, required=False
    )
    agreement_status = forms.ChoiceField(label=_("协议状态"), choices=Institution.AgreementStatus.choices)
    agreement_start = DateField(label=_("协议开始日期"))
    agreement_end = DateField(label=_("协议截止日期"), required=False)

    def __init__(self, *args, institution: Institution, **kwargs):
        initial = {
            "name": institution.name,
            "level": str(institution.level) if institution.level else "",
            "agreement_status": institution.agreement_status,
            "agreement_start": institution.agreement_start,
            "agreement_end": institution.agreement_end,
        }
        super().__init__(*args, initial=initial, **kwargs)
        if institution.kind == Institution.Kind.PHARMACY:
            del self.fields["level"]


class SettlementFilterForm(forms.Form):
    year = forms.IntegerField(label=_("结算年度"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *Settlement.Status.choices])
    institution = forms.CharField(label=_("机构编码"), required=False, max_length=12)


def care_area_clean(value: str, *, field: str = "care_area_code") -> str:
    """The care area of an out-of-area 零星报销: a 6-digit division code outside the city. A code of the city
    itself is refused with what to do instead (an in-city reimbursement leaves the care area empty)."""
    code = (value or "").strip()
    if len(code) == 6 and code.isdigit() and is_home_area(code):
        raise ValidationError({field: f"{area_name(code)} 属于本市，市内就医请按市内零星报销办理，不填就医地"})
    return area_code_clean(code, field=field)


# The fields of the optional "care outside the city" part, in the order the form shows them.
REMOTE_FIELDS = ("care_province", "care_city_code", "institution_name", "institution_level")


class FieldGroup:
    """Some of a form's fields, shaped like a form for templates/_fields.html, so one form can be shown in
    parts (its own error summary above each part; the form-wide errors above the first)."""

    def __init__(self, form: forms.Form, names, *, form_wide: bool = False):
        self.form = form
        self.names = [n for n in names if n in form.fields]
        self.form_wide = form_wide

    def __iter__(self):
        return (self.form[n] for n in self.names)

    @property
    def errors(self) -> dict:
        errors = {n: e for n, e in self.form.errors.items() if n in self.names}
        if self.form_wide and self.form.non_field_errors():
            errors["__all__"] = self.form.non_field_errors()
        return errors

    def non_field_errors(self):
        return self.form.non_field_errors() if self.form_wide else []

    def hidden_fields(self):
        return [f for f in self if f.is_hidden]

    def visible_fields(self):
        return [f for f in self if not f.is_hidden]


class ManualSettlementForm(forms.Form):
    """零星报销: an invoice the patient paid in full, reimbursed by the same rules as direct settlement.

    Opened from the person page (?person=<pk>) it has no ID field: the person is already known, and
    the full ID number never reaches the page. The optional last part is care outside the city (异地就医
    not settled directly): the care area and the institution there; the filing status then decides the ratio."""

    id_number = forms.CharField(label=_("身份证号"), max_length=40)
    institution_code = forms.CharField(
        label=_("机构编码"),
        max_length=20,
        help_text=_("市内就医填本市定点机构编码；市外就医填就医机构的国家医保定点机构代码（12位）"),
    )
    settlement_number = forms.CharField(label=_("发票号/结算单号"), max_length=40)
    benefit_type = forms.ChoiceField(label=_("待遇类型"), choices=BenefitType.choices)
    service_date = DateField(label=_("就诊/入院日期"))
    discharge_date = DateField(
        label=_("出院日期"),
        widget=DateInput(attrs={"data_condition": _("住院时必填")}),
        required=False,
    )
    total_cost = forms.DecimalField(label=_("医疗总费用"), **MONEY)
    eligible_cost = forms.DecimalField(label=_("政策范围内费用"), **MONEY)
    chronic_disease_code = forms.ChoiceField(
        label=_("慢特病病种"), required=False, widget=forms.Select(attrs={"data_condition": _("门诊慢特病时必填")})
    )
    diagnosis_code = forms.CharField(
        label=_("主要诊断编码"), max_length=20, required=False, help_text=_("ICD-10，如 J18.9")
    )
    care_province = forms.ChoiceField(
        label=_("就医地（省级）"), required=False, help_text=_("市内就医不选；选择后按异地就医备案情况确定支付比例")
    )
    care_city_code = forms.CharField(
        label=_("就医地市级区划代码"), max_length=6, required=False, help_text=_("可不填，如 510100（成都市）")
    )
    institution_name = forms.CharField(
        label=_("就医机构名称"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"data_condition": _("市外就医时必填")}),
    )
    institution_level = forms.TypedChoiceField(
        label=_("就医机构等级"),
        choices=LEVEL_CHOICES,
        coerce=_level,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"data_condition": _("市外医院必填")}),
    )

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if person is not None:
            del self.fields["id_number"]
        self.fields["chronic_disease_code"].choices = [("", "—")] + [
            (d.code, f"{d.code} {d.name}") for d in selectors.chronic_disease_list()
        ]
        self.fields["care_province"].choices = [("", _("市内就医"))] + area_choices()

    def clean(self):
        data = super().clean()
        province = data.get("care_province") or ""
        city = (data.get("care_city_code") or "").strip()
        if not province:
            if city or data.get("institution_name") or data.get("institution_level"):
                self.add_error(
                    "care_province", _("市外就医请选择就医地；市内就医请清空就医地市级代码、就医机构名称和等级")
                )
            data["care_area_code"] = ""
            return data
        try:
            code = care_area_clean(city or province, field="care_city_code" if city else "care_province")
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field, message)
            return data
        if code[:2] != province[:2]:
            self.add_error("care_city_code", _("市级区划代码 %(code)s 不属于所选的 %(province)s") % {
                "code": code, "province": area_name(province)})  # fmt: skip
            return data
        data["care_area_code"] = code
        return data

    @property
    def main_part(self) -> FieldGroup:
        return FieldGroup(self, [n for n in self.fields if n not in REMOTE_FIELDS], form_wide=True)

    @property
    def remote_part(self) -> FieldGroup:
        return FieldGroup(self, REMOTE_FIELDS)


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("冲正原因"), max_length=200)


class ChronicRegistrationForm(forms.Form):
    disease = forms.ChoiceField(label=_("病种"))
    valid_from = DateField(label=_("待遇开始日期"), initial=dt.date.today)
    valid_to = DateField(label=_("待遇截止日期"), required=False)
    certified_by = forms.CharField(label=_("鉴定机构"), max_length=200, required=False)

    def __init__(self, *args, diseases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disease"].choices = [("", "—")] + [(d.code, f"{d.code} {d.name}") for d in diseases]


class FamilyBindingForm(forms.Form):
    member_id_number = forms.CharField(label=_("共济人员身份证号"), max_length=40)
    relation = forms.ChoiceField(label=_("关系"), choices=FamilyBinding.Relation.choices)


class AccountPaymentForm(forms.Form):
    """Only the uses the account may pay outside a settlement; the service refuses any other."""

    purpose = forms.ChoiceField(
        label=_("用途"),
        choices=[
            (AccountEntry.Purpose.RESIDENT_CONTRIBUTION, AccountEntry.Purpose.RESIDENT_CONTRIBUTION.label),
            (AccountEntry.Purpose.CRITICAL_CONTRIBUTION, AccountEntry.Purpose.CRITICAL_CONTRIBUTION.label),
        ],
    )
    amount = forms.DecimalField(label=_("金额"), **MONEY)
    beneficiary_id_number = forms.CharField(
        label=_("缴费人员身份证号"), max_length=40, required=False, help_text=_("为配偶、父母、子女缴纳居民医保时填写")
    )
    bill_id = forms.TypedChoiceField(
        label=_("居民医保缴费单"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("为配偶、父母、子女缴纳居民医保时选择"),
    )

    def __init__(self, *args, bills=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bill_id"].choices = [("", "—")] + [
            (
                b.pk,
                _("%(id)s %(year)s年度 未缴 %(owed)s 元")
                % {"id": b.person.masked_id_number, "year": b.coverage_year, "owed": b.outstanding},
            )
            for b in bills
        ]
