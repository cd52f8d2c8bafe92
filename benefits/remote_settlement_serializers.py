"""API shapes of cross-region direct settlement: inputs check shapes only (the services check the rules);
outputs never carry a full ID number."""

from decimal import Decimal

from rest_framework import serializers

from core.api_fields import date_field, money_field
from core.output_serializers import OutputSerializer
from enrollment.models import Scheme
from enrollment.validators import mask_id_number

from .models import BenefitType, InboundSettlement
from .serializers import SettlementOutput

AREA = {"max_length": 6, "min_length": 6}
RATIO_MESSAGE = "支付比例应为 0 至 1 之间的小数（最多4位），如 0.85"
RATIO_ERRORS = {
    "invalid": RATIO_MESSAGE,
    "min_value": RATIO_MESSAGE,
    "max_value": RATIO_MESSAGE,
    "max_digits": RATIO_MESSAGE,
    "max_whole_digits": RATIO_MESSAGE,
    "max_decimal_places": RATIO_MESSAGE,
}


class OutboundSettlementInput(serializers.Serializer):
    """What the cross-region platform sends for one of our insured treated elsewhere."""

    platform_number = serializers.CharField(max_length=40)
    care_area_code = serializers.CharField(**AREA)
    institution_code = serializers.CharField(max_length=12)
    institution_name = serializers.CharField(max_length=200)
    institution_level = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=3
    )
    id_number = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=50)
    benefit_type = serializers.ChoiceField(choices=BenefitType.choices)
    service_date = date_field()
    discharge_date = date_field(required=False, allow_null=True)
    total_cost = money_field()
    eligible_cost = money_field()
    chronic_disease_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    diagnosis_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class OutboundSettlementOutput(SettlementOutput):
    """The settlement under our policy, with the rule it was made under (printed on the statement)."""

    filing_id = serializers.IntegerField(allow_null=True)
    institution_name = serializers.CharField(source="institution.name")

    class Meta(SettlementOutput.Meta):
        fields = [
            *SettlementOutput.Meta.fields,
            "platform_number",
            "care_area_code",
            "institution_name",
            "remote_rule",
            "ratio_reduction",
            "filing_id",
        ]


class InboundTermsInput(serializers.Serializer):
    """The insured area's terms for this claim, as the platform computed them."""

    deductible = money_field()
    ratio = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=Decimal("0"), max_value=Decimal("1"), error_messages=RATIO_ERRORS
    )
    cap_remaining = money_field()
    critical_paid = money_field(required=False, allow_null=True, default=None)


class InboundSettlementInput(serializers.Serializer):
    platform_number = serializers.CharField(max_length=40)
    insured_area_code = serializers.CharField(**AREA)
    id_number = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=50)
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    benefit_type = serializers.ChoiceField(choices=BenefitType.choices)
    service_date = date_field()
    discharge_date = date_field(required=False, allow_null=True)
    total_cost = money_field()
    eligible_cost = money_field()
    terms = InboundTermsInput()
    institution_code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")


class InboundSettlementOutput(OutputSerializer):
    institution_code = serializers.CharField(source="institution.code")
    institution_name = serializers.CharField(source="institution.name")
    district_code = serializers.CharField(source="district.code")
    id_number_masked = serializers.SerializerMethodField()
    advanced = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = InboundSettlement
        fields = [
            "id", "platform_number", "institution_code", "institution_name", "district_code", "insured_area_code",
            "id_number_masked", "name", "scheme", "benefit_type", "service_date", "discharge_date", "year",
            "total_cost", "eligible_cost", "terms", "pooled_paid", "critical_paid", "out_of_pocket", "advanced",
            "steps", "status", "settled_at", "reversed_at", "reversal_reason",
        ]  # fmt: skip

    def get_id_number_masked(self, obj) -> str:
        return mask_id_number(obj.id_number)


class RemoteReversalInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
