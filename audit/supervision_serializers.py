"""Input and output shapes of the suspicion (疑点) and fraud-scan endpoints."""

from rest_framework import serializers

from core.api_fields import date_field
from core.output_serializers import OutputSerializer

from .models import Suspicion


class SuspicionOutput(OutputSerializer):
    rule_code = serializers.CharField(source="rule.code")
    rule_name = serializers.CharField(source="rule.name")
    rule_kind = serializers.CharField(source="rule.kind")
    settlement_number = serializers.CharField(source="settlement.settlement_number")
    person_name = serializers.CharField(source="person.name")
    person_id_number = serializers.CharField(source="person.masked_id_number")
    institution_code = serializers.CharField(source="institution.code")
    institution_name = serializers.CharField(source="institution.name")
    district_code = serializers.CharField(source="district.code")
    reviewed_by = serializers.CharField(source="reviewed_by.username", default=None, allow_null=True)

    class Meta:
        model = Suspicion
        fields = [
            "id", "rule_code", "rule_name", "rule_kind", "settlement", "settlement_number", "person",
            "person_name", "person_id_number", "institution_code", "institution_name", "district_code",
            "service_date", "amount", "detail", "status", "review_reason", "reviewed_by", "reviewed_at",
            "scan_run", "created_at",
        ]  # fmt: skip


class SuspicionReviewInput(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[Suspicion.Status.CONFIRMED, Suspicion.Status.DISMISSED],
        error_messages={"required": "请选择核查结论", "invalid_choice": "核查结论只能是 confirmed 或 dismissed"},
    )
    reason = serializers.CharField(
        max_length=500, error_messages={"required": "请填写核查意见", "blank": "请填写核查意见"}
    )


class FraudScanInput(serializers.Serializer):
    start = date_field(error_messages={"required": "请填写开始日期", "invalid": "日期格式应为 YYYY-MM-DD"})
    end = date_field(error_messages={"required": "请填写截止日期", "invalid": "日期格式应为 YYYY-MM-DD"})
    rules = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list, max_length=50
    )
