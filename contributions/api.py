"""REST endpoints of money in: bills, payments, issuing a bill for an enrollment."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment import selectors as enrollment_selectors

from . import selectors, services
from .models import ContributionBill
from .serializers import BillIssueInput, BillOutput, PaymentInput, PaymentOutput


class EnrollmentBillApi(APIView):
    @extend_schema(request=BillIssueInput, responses={201: BillOutput})
    def post(self, request, pk: int):
        enrollment = enrollment_selectors.get_enrollment_for_user_or_404(fetched_by=request.user, enrollment_id=pk)
        data = BillIssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        bill = services.contribution_bill_issue(
            actor=request.user, enrollment=enrollment, coverage_year=data.validated_data["coverage_year"]
        )
        return Response(BillOutput(bill).data, status=status.HTTP_201_CREATED)


class BillListApi(generics.ListAPIView):
    queryset = ContributionBill.objects.none()
    serializer_class = BillOutput

    def get_queryset(self):
        filters = {k: self.request.query_params.get(k) for k in ("coverage_year", "status", "person")}
        return selectors.bill_list(fetched_by=self.request.user, filters=filters).prefetch_related("payments")


class BillPaymentApi(APIView):
    """Record a payment. Idempotent on `reference`: a replay answers 200 with the first payment."""

    @extend_schema(request=PaymentInput, responses={201: PaymentOutput, 200: PaymentOutput})
    def post(self, request, pk: int):
        bill = selectors.get_bill_for_user_or_404(fetched_by=request.user, bill_id=pk)
        data = PaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment, created = services.payment_record(actor=request.user, bill=bill, **data.validated_data)
        return Response(PaymentOutput(payment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
