"""API shapes: separate input and output serializers; outputs never carry a full ID number."""

from rest_framework import serializers

from .models import (
    Category,
    ContributionBill,
    ContributionPayment,
    District,
    Employer,
    Enrollment,
    ImportBatch,
    ImportRowError,
    Person,
    Scheme,
)


class DistrictOutput(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["code", "name", "name_en", "kind", "gb2260"]


class EnrollmentOutput(serializers.ModelSerializer):
    district_code = serializers.CharField(source="district.code")
    employer_credit_code = serializers.CharField(source="employer.credit_code", default=None)

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


class PaymentOutput(serializers.ModelSerializer):
    class Meta:
        model = ContributionPayment
        fields = ["id", "amount", "paid_on", "reference", "channel", "recorded_at"]


class BillOutput(serializers.ModelSerializer):
    outstanding = serializers.DecimalField(max_digits=12, decimal_places=2)
    payments = PaymentOutput(many=True, read_only=True)

    class Meta:
        model = ContributionBill
        fields = [
            "id",
            "person_id",
            "coverage_year",
            "scheme",
            "due_amount",
            "subsidy_amount",
            "paid_amount",
            "outstanding",
            "status",
            "payments",
        ]


class PersonOutput(serializers.ModelSerializer):
    """No full birth date: with it, the masked number could be rebuilt (reveal-id is the audited way)."""

    id_number_masked = serializers.CharField(source="masked_id_number")
    birth_year = serializers.IntegerField()
    district_code = serializers.CharField(source="district.code")

    class Meta:
        model = Person
        fields = ["id", "id_number_masked", "name", "gender", "birth_year", "phone", "district_code", "death_date"]


class PersonDetailOutput(PersonOutput):
    enrollments = EnrollmentOutput(many=True, read_only=True)
    bills = BillOutput(many=True, read_only=True)

    class Meta(PersonOutput.Meta):
        fields = [*PersonOutput.Meta.fields, "enrollments", "bills"]


class EnrollmentTermsInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    tier = serializers.IntegerField(required=False, allow_null=True)
    employer_credit_code = serializers.CharField(required=False, allow_blank=True, max_length=18)
    contribution_base = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    graduation_year = serializers.IntegerField(required=False, allow_null=True)


class EnrollInput(EnrollmentTermsInput):
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    district_code = serializers.CharField(max_length=6)
    start_date = serializers.DateField()


class PersonEnrollInput(EnrollInput):
    id_number = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)


class PersonUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)


class TerminateInput(serializers.Serializer):
    end_date = serializers.DateField()
    reason = serializers.ChoiceField(choices=Enrollment.EndReason.choices)


class TransferInput(serializers.Serializer):
    to_district_code = serializers.CharField(max_length=6)
    transfer_date = serializers.DateField()


class EmployerInput(serializers.Serializer):
    credit_code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    district_code = serializers.CharField(max_length=6)


class EmployerOutput(serializers.ModelSerializer):
    district_code = serializers.CharField(source="district.code")

    class Meta:
        model = Employer
        fields = ["id", "credit_code", "name", "district_code"]


class BillIssueInput(serializers.Serializer):
    coverage_year = serializers.IntegerField(min_value=2000, max_value=2100)


class PaymentInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_on = serializers.DateField()
    reference = serializers.CharField(max_length=64)
    channel = serializers.ChoiceField(choices=ContributionPayment.Channel.choices, default="api")


class ImportInput(serializers.Serializer):
    kind = serializers.ChoiceField(  # aid-recipient lists: POST /api/v1/aid-recipients/import/
        choices=[ImportBatch.Kind.ENROLLEES, ImportBatch.Kind.PAYMENTS], default=ImportBatch.Kind.ENROLLEES
    )
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportBatch.Mode.choices, default=ImportBatch.Mode.ATOMIC)
    effective_date = serializers.DateField(required=False, help_text="required for kind=enrollees")
    district_code = serializers.CharField(max_length=6, required=False, allow_blank=True)


class ImportOutput(serializers.ModelSerializer):
    district_code = serializers.CharField(source="district.code", default=None)
    progress = serializers.IntegerField(source="job_run.percent", default=None)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "kind",
            "original_name",
            "sha256",
            "mode",
            "status",
            "district_code",
            "effective_date",
            "total_rows",
            "valid_rows",
            "error_rows",
            "counts",
            "progress",
            "error",
            "created_at",
        ]


class ImportRowErrorOutput(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["id", "row_number", "field", "value", "message"]
