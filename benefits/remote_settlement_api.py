"""REST endpoints of cross-region direct settlement. The platform's account posts outbound settlements
(our insured treated elsewhere) and reverses them; our institutions' accounts post inbound settlements
(patients insured elsewhere) and reverse them; staff read the inbound ones of their district.
Each view parses, calls a selector or a service, answers; idempotent by the platform's number
(same request again: 200 with the first result; same number, other content: 409)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import HasStaffRole
from core.roles import Capability

from . import remote_settlement_selectors as selectors
from .remote_settlement_serializers import (
    InboundSettlementInput,
    InboundSettlementOutput,
    OutboundSettlementInput,
    OutboundSettlementOutput,
    RemoteReversalInput,
)
from .services import remote_settlements as services


class HasRemoteSettle(HasStaffRole):
    """The cross-region platform's account only."""

    message = "只有跨区域结算平台接口账号可以发送异地就医结算"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_capability(Capability.REMOTE_SETTLE))


class HasViewOrSettle(HasStaffRole):
    """Reads: staff (their district) and an institution's account (its own); writes: institutions only."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return user.has_capability(Capability.VIEW) or user.has_capability(Capability.SETTLE)
        return user.has_capability(Capability.SETTLE)


def _answer(data, created: bool) -> Response:
    return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OutboundSettlementApi(APIView):
    """POST (the platform): settle one of our insured's care elsewhere under our policy and filing."""

    permission_classes = [IsAuthenticated, HasRemoteSettle]

    @extend_schema(
        request=OutboundSettlementInput, responses={201: OutboundSettlementOutput, 200: OutboundSettlementOutput}
    )
    def post(self, request):
        data = OutboundSettlementInput(data=request.data)
        data.is_valid(raise_exception=True)
        settlement, created = services.outbound_settle(
            actor=request.user, message=services.OutboundMessage(**data.validated_data)
        )
        return _answer(OutboundSettlementOutput(settlement).data, created)


class OutboundReversalApi(APIView):
    """POST (the platform): 冲正 of a settlement it sent, by its number. Idempotent."""

    permission_classes = [IsAuthenticated, HasRemoteSettle]

    @extend_schema(request=RemoteReversalInput, responses=OutboundSettlementOutput)
    def post(self, request, platform_number: str):
        data = RemoteReversalInput(data=request.data)
        data.is_valid(raise_exception=True)
        settlement, _ = services.outbound_reverse(
            actor=request.user, platform_number=platform_number, reason=data.validated_data["reason"]
        )
        return Response(OutboundSettlementOutput(settlement).data)


class InboundSettlementListApi(generics.ListAPIView):
    """GET: inbound settlements in scope. POST (one of our institutions): settle a patient insured
    elsewhere under the insured area's terms from the platform message."""

    queryset = InboundSettlementOutput.Meta.model.objects.none()  # for the schema; rows come from the selector
    serializer_class = InboundSettlementOutput
    permission_classes = [IsAuthenticated, HasViewOrSettle]

    def get_queryset(self):
        keys = ("q", "insured_area_code", "month", "status")
        return selectors.inbound_list(
            fetched_by=self.request.user, filters={k: self.request.query_params.get(k) for k in keys}
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="平台结算流水号、身份证号或姓名"),
            OpenApiParameter("insured_area_code", str, description="参保地区划代码"),
            OpenApiParameter("month", str, description="结算月份 YYYY-MM"),
            OpenApiParameter("status", str, enum=["settled", "reversed"]),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InboundSettlementInput, responses={201: InboundSettlementOutput, 200: InboundSettlementOutput}
    )
    def post(self, request):
        data = InboundSettlementInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        terms = services.InboundTerms(**values.pop("terms"))
        inbound, created = services.inbound_settle(
            actor=request.user, message=services.InboundMessage(**values, terms=terms)
        )
        return _answer(InboundSettlementOutput(inbound).data, created)


class InboundSettlementDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasViewOrSettle]

    @extend_schema(responses=InboundSettlementOutput)
    def get(self, request, pk: int):
        inbound = selectors.get_inbound_for_user_or_404(fetched_by=request.user, inbound_id=pk)
        return Response(InboundSettlementOutput(inbound).data)


class InboundReversalApi(APIView):
    """POST (the institution that settled it): 冲正, with a reason. Idempotent."""

    permission_classes = [IsAuthenticated, HasViewOrSettle]

    @extend_schema(request=RemoteReversalInput, responses=InboundSettlementOutput)
    def post(self, request, pk: int):
        inbound = selectors.get_inbound_for_user_or_404(fetched_by=request.user, inbound_id=pk)
        data = RemoteReversalInput(data=request.data)
        data.is_valid(raise_exception=True)
        inbound, _ = services.inbound_reverse(actor=request.user, inbound=inbound, reason=data.validated_data["reason"])
        return Response(InboundSettlementOutput(inbound).data)
