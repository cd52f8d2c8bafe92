"""REST endpoints of 疑点核查: the suspicion queue, one suspicion, its review, and starting a scan job."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import JobRunOutput

from . import suspicion_selectors as selectors
from .fraud import can_scan, fraud_scan_start
from .models import Suspicion
from .supervision_serializers import FraudScanInput, SuspicionOutput, SuspicionReviewInput
from .suspicion_services import suspicion_review


class SuspicionListApi(generics.ListAPIView):
    """GET: suspicions of the user's district (city-wide users: the city); filters ?rule=CODE&status=open."""

    queryset = Suspicion.objects.none()  # for the schema; real rows come from the selector
    serializer_class = SuspicionOutput
    required_capability = selectors.VIEW_CAPABILITY

    def get_queryset(self):
        filters = {k: self.request.query_params.get(k) for k in ("rule", "status")}
        return selectors.suspicion_list(fetched_by=self.request.user, filters=filters)


class SuspicionDetailApi(generics.RetrieveAPIView):
    serializer_class = SuspicionOutput
    required_capability = selectors.VIEW_CAPABILITY

    def get_object(self):
        return selectors.get_suspicion_for_user_or_404(fetched_by=self.request.user, suspicion_id=self.kwargs["pk"])


class SuspicionReviewApi(APIView):
    """POST {"decision": "confirmed"|"dismissed", "reason": "..."}: review an open suspicion once."""

    required_capability = selectors.VIEW_CAPABILITY  # the service checks review/supervise and the district

    @extend_schema(request=SuspicionReviewInput, responses=SuspicionOutput)
    def post(self, request, pk: int):
        suspicion = selectors.get_suspicion_for_user_or_404(fetched_by=request.user, suspicion_id=pk)
        data = SuspicionReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        suspicion = suspicion_review(actor=request.user, suspicion=suspicion, **data.validated_data)
        return Response(SuspicionOutput(selectors.get_suspicion_for_user_or_404(
            fetched_by=request.user, suspicion_id=suspicion.pk)).data)  # fmt: skip


class FraudScanApi(APIView):
    """POST {"start": "2023-01-01", "end": "2023-12-31", "rules": ["CASH_OUT"]}: start a fraud_scan job."""

    required_capability = selectors.VIEW_CAPABILITY

    @extend_schema(request=FraudScanInput, responses={202: JobRunOutput})
    def post(self, request):
        if not can_scan(request.user):
            raise PermissionDenied("您的角色无权执行疑点筛查。")
        data = FraudScanInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        run = fraud_scan_start(
            actor=request.user, start=values["start"], end=values["end"], rule_codes=values["rules"] or None
        )
        return Response(JobRunOutput(run).data, status=status.HTTP_202_ACCEPTED)
