from django.utils.functional import lazy
from rest_framework import serializers

from core.api_fields import date_field, money_field, year_field
from core.output_serializers import OutputSerializer

from .models import ContributionBill, ContributionPayment


def _channel_choice_error() -> str:
    """An integrator sends the code; the refusal names every accepted code with its meaning."""
    accepted = "、".join(f"{value}（{label}）" for value, label in ContributionPayment.Channel.choices)
    return f"缴费渠道“{{input}}”无效，可选：{accepted}"


CHANNEL_CHOICE_ERROR = lazy(_channel_choice_error, str)()


class PaymentOutput(OutputSerializer):
    class Meta:
        model = ContributionPayment
        fields = ["id", "amount", "paid_on", "reference", "channel", "recorded_at"]


class BillOutput(OutputSerializer):
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
            "cover_from",
            "payments",
        ]


class BillIssueInput(serializers.Serializer):
    coverage_year = year_field(min_value=2000)


class PaymentInput(serializers.Serializer):
    amount = money_field()
    paid_on = date_field()
    reference = serializers.CharField(max_length=64)
    channel = serializers.ChoiceField(
        choices=ContributionPayment.Channel.choices,
        default="api",
        error_messages={"invalid_choice": CHANNEL_CHOICE_ERROR},
    )
