"""API shapes: separate input and output serializers; outputs never carry a full ID number."""

from rest_framework import serializers

from core.api_fields import date_field, money_field, small_int_field, year_field
from core.output_serializers import OutputSerializer
from enrollment.models import (
    Category,
    Employer,
    Enrollment,
    Person,
    Scheme,
)
from enrollment.validators import person_name_validator


class EnrollmentOutput(OutputSerializer):
    district_code = serializers.CharField(source="district.code")
    employer_credit_code = serializers.CharField(source="employer.credit_code", default=None, allow_null=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "person_id",
            "scheme",
            "category",
            "tier",
            "district_code",
            "employer_credit_code",
            "contribution_base",
            "graduation_year",
            "start_date",
            "end_date",
            "status",
            "end_reason",
        ]


class PersonOutput(OutputSerializer):
    """No full birth date: with it, the masked number could be rebuilt (reveal-id is the audited way)."""

    id_number_masked = serializers.CharField(source="masked_id_number")
    birth_year = serializers.IntegerField()
    district_code = serializers.CharField(source="district.code")

    class Meta:
        model = Person
        fields = [
            "id", "id_number_masked", "name", "gender", "birth_year", "phone", "district_code", "death_date",
            "death_source_document",
        ]  # fmt: skip


class PersonDetailOutput(PersonOutput):
    enrollments = EnrollmentOutput(many=True, read_only=True)

    class Meta(PersonOutput.Meta):
        fields = [*PersonOutput.Meta.fields, "enrollments"]


class EnrollmentTermsInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    tier = small_int_field(required=False, allow_null=True)
    employer_credit_code = serializers.CharField(required=False, allow_blank=True, max_length=18)
    contribution_base = money_field(required=False, allow_null=True)
    graduation_year = year_field(required=False, allow_null=True)


class EnrollInput(EnrollmentTermsInput):
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    district_code = serializers.CharField(max_length=6)
    start_date = date_field()


class PersonEnrollInput(EnrollInput):
    id_number = serializers.CharField(max_length=18)
    name = serializers.CharField(max_length=50, validators=[person_name_validator])
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)


class PersonUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=50, validators=[person_name_validator])
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)


class TerminateInput(serializers.Serializer):
    end_date = date_field()
    reason = serializers.ChoiceField(choices=Enrollment.EndReason.choices)
    # Reason deceased only: the death registration the termination records.
    death_date = date_field(required=False, allow_null=True)
    death_source_document = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PersonDeathInput(serializers.Serializer):
    death_date = date_field()
    source_document = serializers.CharField(max_length=200)


class TransferInput(serializers.Serializer):
    to_district_code = serializers.CharField(max_length=6)
    transfer_date = date_field()


class EmployerInput(serializers.Serializer):
    credit_code = serializers.CharField(max_length=18)
    name = serializers.CharField(max_length=200)
    district_code = serializers.CharField(max_length=6)


class EmployerOutput(OutputSerializer):
    district_code = serializers.CharField(source="district.code")

    class Meta:
        model = Employer
        fields = ["id", "credit_code", "name", "district_code"]
