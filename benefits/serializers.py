"""API shapes of the benefits app: inputs and outputs apart; outputs never carry a full ID number."""

from rest_framework import serializers

from core.api_fields import date_field, id_field, money_field
from core.output_serializers import OutputSerializer
from enrollment.validators import mask_id_number

from .models import (
    AccountEntry,
    AnnualAccumulator,
    BenefitType,
    ChronicRegistration,
    FamilyBinding,
    Institution,
    PersonalAccount,
    Settlement,
)

MONEY = {"max_digits": 12, "decimal_places": 2}


# The same words as the service (benefits.services.institutions) for a level out of range.
_LEVEL_MESSAGE = "医院等级应为一级、二级或三级"
LEVEL_ERRORS = {"min_value": _LEVEL_MESSAGE, "max_value": _LEVEL_MESSAGE, "invalid": _LEVEL_MESSAGE}


class InstitutionOutput(OutputSerializer):
    district_code = serializers.CharField(source="district.code")

    class Meta:
        model = Institution
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "level",
            "district_code",
            "agreement_status",
            "agreement_start",
            "agreement_end",
        ]


class InstitutionInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Institution.Kind.choices)
    # Hospitals 1/2/3 (一级/二级/三级); pharmacies: none.
    level = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=3, error_messages=LEVEL_ERRORS
    )
    district_code = serializers.CharField(max_length=6)
    agreement_start = date_field()
    agreement_end = date_field(required=False, allow_null=True)
    code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")


class InstitutionUpdateInput(serializers.Serializer):
    """Level and agreement end may be left out: they then keep their current values."""

    name = serializers.CharField(max_length=200)
    level = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=3, error_messages=LEVEL_ERRORS
    )
    agreement_status = serializers.ChoiceField(choices=Institution.AgreementStatus.choices)
    agreement_start = date_field()
    agreement_end = date_field(required=False, allow_null=True)


class SettlementInput(serializers.Serializer):
    """What an institution's system sends for one visit or stay. Amounts in yuan, at most 2 decimals."""

    settlement_number = serializers.CharField(max_length=40)
    id_number = serializers.CharField(max_length=30)
    benefit_type = serializers.ChoiceField(choices=BenefitType.choices)
    service_date = date_field()
    discharge_date = date_field(required=False, allow_null=True)
    total_cost = money_field()  # one claim: at most 99,999,999.99 (the year's totals must still fit)
    eligible_cost = money_field()
    chronic_disease_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    diagnosis_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    use_account = serializers.BooleanField(required=False, default=True)
    account_holder_id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class ManualSettlementInput(SettlementInput):
    """零星报销: staff enter an invoice the patient paid in full; the institution is named by code.

    Care outside the city (异地就医 not settled directly): `care_area_code` (6-digit division code of a
    province or city elsewhere), and the institution there by its national code, name and level."""

    institution_code = serializers.CharField(max_length=12)
    care_area_code = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")
    institution_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    institution_level = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=3, error_messages=LEVEL_ERRORS
    )
    use_account = None
    account_holder_id_number = None


class ReversalInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class SettlementOutput(OutputSerializer):
    institution_code = serializers.CharField(source="institution.code")
    person_id_number = serializers.SerializerMethodField()
    person_name = serializers.CharField(source="person.name")
    fund_paid = serializers.DecimalField(**MONEY)
    filing_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = Settlement
        fields = [
            "id",
            "institution_code",
            "settlement_number",
            "kind",
            "status",
            "person_id",
            "person_id_number",
            "person_name",
            "scheme",
            "benefit_type",
            "diagnosis_code",
            "institution_level",
            "service_date",
            "discharge_date",
            "year",
            "total_cost",
            "eligible_cost",
            "deductible_applied",
            "pooled_paid",
            "critical_paid",
            "aid_paid",
            "account_paid",
            "out_of_pocket",
            "fund_paid",
            "steps",
            "settled_at",
            "reversed_at",
            "reversal_reason",
            # 异地就医: "" = care in the city; the rule applied, the points taken off the pooled ratio and
            # the filing that covered the day (null: none).
            "care_area_code",
            "remote_rule",
            "ratio_reduction",
            "filing_id",
        ]

    def get_person_id_number(self, obj) -> str:
        return mask_id_number(obj.person.id_number)


class AccumulatorOutput(OutputSerializer):
    class Meta:
        model = AnnualAccumulator
        exclude = ["id", "person", "updated_at"]


class ChronicRegistrationInput(serializers.Serializer):
    disease_code = serializers.CharField(max_length=20)
    valid_from = date_field()
    valid_to = date_field(required=False, allow_null=True)
    certified_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ChronicRegistrationOutput(OutputSerializer):
    disease_code = serializers.CharField(source="disease.code")
    disease_name = serializers.CharField(source="disease.name")

    class Meta:
        model = ChronicRegistration
        fields = ["id", "disease_code", "disease_name", "valid_from", "valid_to", "certified_by", "status"]


class AccountEntryOutput(OutputSerializer):
    beneficiary_id_number = serializers.SerializerMethodField()

    class Meta:
        model = AccountEntry
        fields = [
            "id",
            "kind",
            "purpose",
            "amount",
            "balance_after",
            "period",
            "settlement_id",
            "beneficiary_id_number",
            "created_at",
        ]

    def get_beneficiary_id_number(self, obj) -> str | None:
        return mask_id_number(obj.beneficiary.id_number) if obj.beneficiary_id else None


class FamilyBindingOutput(OutputSerializer):
    member_id_number = serializers.SerializerMethodField()
    member_name = serializers.CharField(source="member.name")

    class Meta:
        model = FamilyBinding
        fields = ["id", "relation", "member_id_number", "member_name", "active"]

    def get_member_id_number(self, obj) -> str:
        return mask_id_number(obj.member.id_number)


class AccountOutput(OutputSerializer):
    family = serializers.SerializerMethodField()

    class Meta:
        model = PersonalAccount
        fields = ["id", "person_id", "balance", "family"]

    def get_family(self, obj) -> list[dict]:
        return FamilyBindingOutput(obj.family.filter(active=True).select_related("member"), many=True).data


class FamilyBindingInput(serializers.Serializer):
    member_id_number = serializers.CharField(max_length=30)
    relation = serializers.CharField(max_length=20)  # any text: the service names what is not allowed


class AccountPaymentInput(serializers.Serializer):
    purpose = serializers.CharField(max_length=30)  # any text: forbidden uses are refused by name
    amount = money_field()
    beneficiary_id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    bill_id = id_field(required=False, allow_null=True)
