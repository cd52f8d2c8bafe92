"""REST endpoints of 异地就医清算: the statements, one statement with its subtotals, confirm, pay. City-wide
readers only (a district user gets 403); confirm and pay need Capability.ADMINISTER. Each view calls a
selector or a service."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import date_field
from core.areas import area_name
from core.output_serializers import OutputSerializer
from core.roles import Capability

from . import clearing_selectors as selectors
from .models import Clearing
from .services.clearing import clearing_confirm, clearing_month_parse, clearing_pay


class ClearingOutput(OutputSerializer):
    area_name = serializers.SerializerMethodField()
    month = serializers.SerializerMethodField()
    net = serializers.DecimalField(max_digits=13, decimal_places=2)
    confirmed_by = serializers.CharField(source="confirmed_by.username", default=None)
    paid_by = serializers.CharField(source="paid_by.username", default=None)

    class Meta:
        model = Clearing
        fields = [
            "id", "area_code", "area_name", "month", "status", "payable", "receivable", "net", "payable_count",
            "receivable_count", "generated_at", "confirmed_at", "confirmed_by", "paid_on", "paid_by",
        ]  # fmt: skip

    def get_area_name(self, obj) -> str:
        return area_name(obj.area_code)

    def get_month(self, obj) -> str:
        return f"{obj.month:%Y-%m}"


class SubtotalOutput(serializers.Serializer):
    district_code = serializers.CharField(source="district__code")
    district_name = serializers.CharField(source="district__name")
    scheme = serializers.CharField()
    direction = serializers.CharField()
    count = serializers.IntegerField(source="n")
    pooled = serializers.DecimalField(max_digits=14, decimal_places=2)
    critical = serializers.DecimalField(max_digits=14, decimal_places=2)
    aid = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class ClearingDetailOutput(ClearingOutput):
    subtotals = serializers.SerializerMethodField()

    class Meta(ClearingOutput.Meta):
        fields = [*ClearingOutput.Meta.fields, "subtotals"]

    def get_subtotals(self, obj) -> list[dict]:
        return SubtotalOutput(selectors.clearing_subtotals(clearing=obj), many=True).data


class PayInput(serializers.Serializer):
    paid_on = date_field()


class ClearingListApi(generics.ListAPIView):
    """GET: the statements, newest first; filters `month` (YYYY-MM), `area_code`, `status`."""

    queryset = Clearing.objects.none()  # for the schema; real rows come from the selector
    serializer_class = ClearingOutput

    def get_queryset(self):
        params = self.request.query_params
        month = params.get("month", "")
        status = params.get("status", "")
        if status and status not in Clearing.Status.values:
            raise serializers.ValidationError({"status": ["状态应为 draft、confirmed 或 paid"]})
        try:
            parsed = clearing_month_parse(month) if month else None
        except DjangoValidationError:
            raise serializers.ValidationError({"month": ["清算月份应为“年-月”格式，如 2023-05"]}) from None
        return selectors.clearing_list(
            fetched_by=self.request.user, month=parsed, area_code=params.get("area_code", "")[:6], status=status
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, description="YYYY-MM"),
            OpenApiParameter("area_code", str),
            OpenApiParameter("status", str, enum=Clearing.Status.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClearingDetailApi(generics.RetrieveAPIView):
    serializer_class = ClearingDetailOutput

    def get_object(self):
        return selectors.get_clearing_for_user_or_404(fetched_by=self.request.user, clearing_id=self.kwargs["pk"])


class ClearingConfirmApi(APIView):
    """确认: draft -> confirmed. Again on a confirmed statement: nothing changes."""

    required_capability = Capability.ADMINISTER

    @extend_schema(request=None, responses=ClearingDetailOutput)
    def post(self, request, pk: int):
        clearing = selectors.get_clearing_for_user_or_404(fetched_by=request.user, clearing_id=pk)
        moved = clearing_confirm(actor=request.user, clearing=clearing)
        return Response(ClearingDetailOutput(moved.clearing).data)


class ClearingPayApi(APIView):
    """资金划拨: confirmed -> paid on `paid_on`, posted to the fund books. Again: nothing changes."""

    required_capability = Capability.ADMINISTER

    @extend_schema(request=PayInput, responses=ClearingDetailOutput)
    def post(self, request, pk: int):
        clearing = selectors.get_clearing_for_user_or_404(fetched_by=request.user, clearing_id=pk)
        data = PayInput(data=request.data)
        data.is_valid(raise_exception=True)
        moved = clearing_pay(actor=request.user, clearing=clearing, paid_on=data.validated_data["paid_on"])
        return Response(ClearingDetailOutput(moved.clearing).data)
