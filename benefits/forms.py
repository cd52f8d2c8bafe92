"""Staff forms of the benefits app. They only shape input; the services decide what is valid."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

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


class ManualSettlementForm(forms.Form):
    """零星报销: an invoice the patient paid in full, reimbursed by the same rules as direct settlement.

    Opened from the person page (?person=<pk>) it has no ID field: the person is already known, and
    the full ID number never reaches the page."""

    id_number = forms.CharField(label=_("身份证号"), max_length=40)
    institution_code = forms.CharField(label=_("机构编码"), max_length=20)
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

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if person is not None:
            del self.fields["id_number"]
        self.fields["chronic_disease_code"].choices = [("", "—")] + [
            (d.code, f"{d.code} {d.name}") for d in selectors.chronic_disease_list()
        ]


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
