"""REST endpoints of fund supervision: 监督检查 cases (日常, 专项, 飞行检查) and 信用评价.
Each view calls a selector or a service."""

from decimal import Decimal

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import date_field, id_field, money_field
from core.output_serializers import OutputSerializer
from core.roles import Capability

from . import inspection_selectors as selectors
from . import inspection_services as services
from .models import CreditRating, Inspection

MONEY = {"digits": 14, "max_value": Decimal("999999999999.99")}  # the columns' DECIMAL(14, 2), never negative


class CanSupervise(BasePermission):
    """Reads: view_audit or supervise (scoped by the selectors). Writes: supervise."""

    message = "您的角色无权执行此操作。"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method in SAFE_METHODS:
            return user.has_capability(Capability.VIEW_AUDIT) or user.has_capability(Capability.SUPERVISE)
        return user.has_capability(Capability.SUPERVISE)


class InspectionOutput(OutputSerializer):
    institution_code = serializers.CharField(source="institution.code")
    institution_name = serializers.CharField(source="institution.name")
    district_code = serializers.CharField(source="district.code")
    suspicion_ids = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Inspection
        fields = [
            "id", "kind", "kind_display", "credit_rating", "institution_code", "institution_name", "district_code",
            "started_on", "closed_on", "status",
            "inspectors", "findings", "recovered_amount", "penalty_amount", "suspicion_ids", "created_at",
        ]  # fmt: skip

    def get_suspicion_ids(self, inspection) -> list[int]:
        return sorted(s.pk for s in inspection.suspicions.all())


class InspectionInput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Inspection.Kind.choices, default=Inspection.Kind.ROUTINE, help_text="日常检查、专项检查或飞行检查"
    )
    institution_code = serializers.CharField(max_length=12)
    started_on = date_field()
    inspectors = serializers.CharField(max_length=200)
    findings = serializers.CharField(required=False, allow_blank=True, default="")


class InspectionUpdateInput(serializers.Serializer):
    inspectors = serializers.CharField(max_length=200, required=False)
    findings = serializers.CharField(required=False, allow_blank=True)
    recovered_amount = money_field(required=False, **MONEY)
    penalty_amount = money_field(required=False, **MONEY)
    suspicion_ids = serializers.ListField(child=id_field(), required=False, max_length=1000)
    closed_on = date_field(required=False, help_text="给出即结案")


class CreditRatingOutput(OutputSerializer):
    institution_code = serializers.CharField(source="institution.code")
    institution_name = serializers.CharField(source="institution.name")
    district_code = serializers.CharField(source="institution.district.code")
    on_inspection_list = serializers.BooleanField(source="institution.on_inspection_list")
    settlement_review_from = serializers.DateField(source="institution.settlement_review_from")

    class Meta:
        model = CreditRating
        fields = [
            "id", "year", "institution_code", "institution_name", "district_code", "score", "grade", "basis",
            "on_inspection_list", "settlement_review_from",
        ]  # fmt: skip


class InspectionListApi(generics.ListCreateAPIView):
    queryset = Inspection.objects.none()  # for the schema; real rows come from the selector
    serializer_class = InspectionOutput
    permission_classes = [IsAuthenticated, CanSupervise]

    def get_queryset(self):
        filters = {k: self.request.query_params.get(k) for k in ("status", "kind", "institution")}
        return selectors.inspection_list(fetched_by=self.request.user, filters=filters).prefetch_related("suspicions")

    @extend_schema(request=InspectionInput, responses={201: InspectionOutput})
    def post(self, request):
        data = InspectionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        institution = selectors.institution_for_supervision(
            fetched_by=request.user, code=values.pop("institution_code")
        )
        if institution is None:
            raise serializers.ValidationError({"institution_code": ["机构编码不存在或不在您的管辖范围内"]})
        inspection = services.inspection_open(actor=request.user, institution=institution, **values)
        return Response(InspectionOutput(inspection).data, status=status.HTTP_201_CREATED)


class InspectionDetailApi(APIView):
    permission_classes = [IsAuthenticated, CanSupervise]

    @extend_schema(responses=InspectionOutput)
    def get(self, request, pk: int):
        return Response(InspectionOutput(selectors.get_inspection_for_user_or_404(fetched_by=request.user,
                                                                                  inspection_id=pk)).data)  # fmt: skip

    @extend_schema(request=InspectionUpdateInput, responses=InspectionOutput)
    def patch(self, request, pk: int):
        inspection = selectors.get_inspection_for_user_or_404(fetched_by=request.user, inspection_id=pk)
        data = InspectionUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        closed_on = values.pop("closed_on", None)
        # One request, one transaction: new findings and the closing land together or not at all.
        with transaction.atomic():
            if values:
                inspection = services.inspection_update(actor=request.user, inspection=inspection, **values)
            if closed_on is not None:
                inspection = services.inspection_close(actor=request.user, inspection=inspection, closed_on=closed_on)
        inspection = selectors.get_inspection_for_user_or_404(fetched_by=request.user, inspection_id=pk)
        return Response(InspectionOutput(inspection).data)


class CreditRatingListApi(generics.ListAPIView):
    queryset = CreditRating.objects.none()  # for the schema; real rows come from the selector
    serializer_class = CreditRatingOutput
    permission_classes = [IsAuthenticated, CanSupervise]

    def get_queryset(self):
        filters = {k: self.request.query_params.get(k) for k in ("year", "grade")}
        if filters["year"] and not str(filters["year"]).isdigit():
            raise serializers.ValidationError({"year": ["年度须为四位数字，如 2023"]})
        return selectors.credit_rating_list(fetched_by=self.request.user, filters=filters)
