"""Input and output shapes of the assistance API. No rules here: the services decide what is valid."""

from rest_framework import serializers

from core.api_fields import date_field, money_field, year_field
from core.models import ImportBatch
from core.output_serializers import OutputSerializer
from enrollment.models import SCHEME_CATEGORIES, Category

from .models import AidApplication, AidCategory, AidEnrollmentItem, AidRecipient, HighCostAlert


class _PersonFields(OutputSerializer):
    """The person as every output shows it: name and masked ID number, never the full number."""

    person_id = serializers.IntegerField()
    person_name = serializers.CharField(source="person.name")
    id_number_masked = serializers.CharField(source="person.masked_id_number")
    district_code = serializers.CharField(source="district.code")


class AidRecipientOutput(_PersonFields):
    class Meta:
        model = AidRecipient
        fields = [
            "id", "person_id", "person_name", "id_number_masked", "district_code", "category", "valid_from",
            "valid_to", "source", "import_batch_id",
        ]  # fmt: skip


class AidRecipientInput(serializers.Serializer):
    id_number = serializers.CharField(max_length=20)
    category = serializers.ChoiceField(choices=AidCategory.choices)
    valid_from = date_field()
    valid_to = date_field(required=False, allow_null=True)
    source = serializers.ChoiceField(choices=AidRecipient.Source.choices, default=AidRecipient.Source.BUREAU)


class AidRecipientImportInput(serializers.Serializer):
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportBatch.Mode.choices, default=ImportBatch.Mode.ATOMIC)
    source = serializers.ChoiceField(
        choices=AidRecipient.Source.choices,
        default=AidRecipient.Source.CIVIL_AFFAIRS,
        help_text="for rows without 数据来源",
    )
    district_code = serializers.CharField(max_length=6, required=False, allow_blank=True)


class AidApplicationOutput(_PersonFields):
    submitted_by = serializers.CharField(source="submitted_by.username", default=None, allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta:
        model = AidApplication
        fields = [
            "id", "person_id", "person_name", "id_number_masked", "district_code", "year", "requested_amount",
            "approved_amount", "reason", "status", "decision_reason", "submitted_by", "decided_by", "paid_on",
            "created_at", "updated_at",
        ]  # fmt: skip


class AidApplicationInput(serializers.Serializer):
    id_number = serializers.CharField(max_length=20)
    year = year_field()
    requested_amount = money_field()
    reason = serializers.CharField(max_length=500)


class AidApplicationTransitionInput(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=AidApplication.Status.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    approved_amount = money_field(required=False, allow_null=True)
    paid_on = date_field(required=False, allow_null=True)


class HighCostAlertOutput(_PersonFields):
    class Meta:
        model = HighCostAlert
        fields = [
            "id", "person_id", "person_name", "id_number_masked", "district_code", "year", "out_of_pocket",
            "threshold", "aid_recipient", "status", "note", "created_at", "updated_at",
        ]  # fmt: skip


class AidEnrollmentItemOutput(OutputSerializer):
    """A worklist item as the API shows it: the ID number masked, like every person output."""

    id_number_masked = serializers.CharField(source="masked_id_number")
    district_code = serializers.CharField(source="district.code")

    class Meta:
        model = AidEnrollmentItem
        fields = [
            "id", "name", "id_number_masked", "category", "valid_from", "valid_to", "source", "district_code",
            "import_batch_id", "status", "person_id", "note", "closed_at", "created_at",
        ]  # fmt: skip


class AidEnrollmentItemEnrollInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=[c for c in Category.choices if c[0] in SCHEME_CATEGORIES["resident"]])
    tier = serializers.ChoiceField(choices=[1, 2])
    start_date = date_field()
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    graduation_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    coverage_year = year_field(required=False)


class AidEnrollmentItemDismissInput(serializers.Serializer):
    note = serializers.CharField(max_length=500)


class AidCoverageRateRow(serializers.Serializer):
    district_id = serializers.IntegerField()
    district_name = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    recipients = serializers.IntegerField()
    covered = serializers.IntegerField()
    to_enroll = serializers.IntegerField()
    denominator = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class AidCoverageTotal(serializers.Serializer):
    recipients = serializers.IntegerField()
    covered = serializers.IntegerField()
    to_enroll = serializers.IntegerField()
    denominator = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class AidCoverageMissing(serializers.Serializer):
    kind = serializers.CharField(help_text="to_enroll (worklist item) or unpaid (recipient without a paid bill)")
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    category = serializers.CharField()
    district_code = serializers.CharField()
    item_id = serializers.IntegerField(allow_null=True)
    person_id = serializers.IntegerField(allow_null=True)


class AidCoverageRateOutput(serializers.Serializer):
    year = serializers.IntegerField()
    categories = serializers.ListField(child=serializers.CharField())
    rows = AidCoverageRateRow(many=True)
    total = AidCoverageTotal()
    missing = AidCoverageMissing(many=True)
