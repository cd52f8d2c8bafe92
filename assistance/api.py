"""REST endpoints of medical aid. Each calls a selector or a service, nothing more."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.reference import district_id_for_code
from core.serializers import ImportOutput

from . import selectors, services
from .importing import aid_recipient_batch_create
from .models import AidApplication, AidEnrollmentItem, AidRecipient, HighCostAlert
from .serializers import (
    AidApplicationInput,
    AidApplicationOutput,
    AidApplicationTransitionInput,
    AidCoverageRateOutput,
    AidEnrollmentItemDismissInput,
    AidEnrollmentItemEnrollInput,
    AidEnrollmentItemOutput,
    AidRecipientImportInput,
    AidRecipientInput,
    AidRecipientOutput,
    HighCostAlertOutput,
)


def _person(user, id_number: str):
    person = selectors.person_in_scope_by_id_number(fetched_by=user, id_number=id_number)
    if person is None:
        raise ValidationError({"id_number": "该身份证号未参保登记"})
    return person


class AidRecipientListApi(generics.ListCreateAPIView):
    """GET: recipients in scope, `q` (ID number or exact name) and `category` filters. POST: register one."""

    queryset = AidRecipient.objects.none()
    serializer_class = AidRecipientOutput

    def get_queryset(self):
        params = self.request.query_params
        return selectors.aid_recipient_list(
            fetched_by=self.request.user, query=params.get("q", ""), category=params.get("category", "")
        )

    @extend_schema(request=AidRecipientInput, responses={201: AidRecipientOutput})
    def post(self, request):
        data = AidRecipientInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        recipient = services.aid_recipient_register(
            actor=request.user,
            person=_person(request.user, values["id_number"]),
            category=values["category"],
            valid_from=values["valid_from"],
            valid_to=values.get("valid_to"),
            source=values["source"],
        )
        return Response(AidRecipientOutput(recipient).data, status=status.HTTP_201_CREATED)


class AidRecipientImportApi(APIView):
    """POST a list (multipart): processed in the background; poll GET /api/v1/imports/<id>/ and its errors."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=AidRecipientImportInput, responses={202: ImportOutput})
    def post(self, request):
        data = AidRecipientImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        code = values.get("district_code")
        batch = aid_recipient_batch_create(
            actor=request.user,
            fileobj=values["file"],
            original_name=values["file"].name,
            district_id=district_id_for_code(code) if code else request.user.district_id,
            mode=values["mode"],
            source=values["source"],
        )
        batch.refresh_from_db()
        return Response(ImportOutput(batch).data, status=status.HTTP_202_ACCEPTED)


class AidApplicationListApi(generics.ListCreateAPIView):
    """GET: the district's queue, `status` filter. POST: take in an application."""

    queryset = AidApplication.objects.none()
    serializer_class = AidApplicationOutput

    def get_queryset(self):
        return selectors.aid_application_list(
            fetched_by=self.request.user, status=self.request.query_params.get("status", "")
        ).select_related("submitted_by", "decided_by")

    @extend_schema(request=AidApplicationInput, responses={201: AidApplicationOutput})
    def post(self, request):
        data = AidApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        application = services.aid_application_submit(
            actor=request.user,
            person=_person(request.user, values["id_number"]),
            year=values["year"],
            requested_amount=values["requested_amount"],
            reason=values["reason"],
        )
        return Response(AidApplicationOutput(application).data, status=status.HTTP_201_CREATED)


class AidApplicationDetailApi(generics.RetrieveAPIView):
    serializer_class = AidApplicationOutput

    def get_object(self):
        return selectors.get_aid_application_for_user_or_404(
            fetched_by=self.request.user, application_id=self.kwargs["pk"]
        )


class AidApplicationTransitionApi(APIView):
    """Move an application: reviewed / approved (approved_amount) / rejected (reason) / paid."""

    @extend_schema(request=AidApplicationTransitionInput, responses=AidApplicationOutput)
    def post(self, request, pk: int):
        application = selectors.get_aid_application_for_user_or_404(fetched_by=request.user, application_id=pk)
        data = AidApplicationTransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        application = services.aid_application_transition(
            actor=request.user,
            application=application,
            to_status=values["to_status"],
            reason=values["reason"],
            approved_amount=values.get("approved_amount"),
            paid_on=values.get("paid_on"),
        )
        application = selectors.get_aid_application_for_user_or_404(fetched_by=request.user, application_id=pk)
        return Response(AidApplicationOutput(application).data)


class HighCostAlertListApi(generics.ListAPIView):
    """The district's high-cost alerts, `status` and `year` filters."""

    queryset = HighCostAlert.objects.none()
    serializer_class = HighCostAlertOutput

    def get_queryset(self):
        params = self.request.query_params
        year = params.get("year", "")
        return selectors.high_cost_alert_list(
            fetched_by=self.request.user, status=params.get("status", ""), year=int(year) if year.isdigit() else None
        )


class AidEnrollmentItemListApi(generics.ListAPIView):
    """The district's 待参保 worklist; `status`, `category` and `q` (ID number or name) filters."""

    queryset = AidEnrollmentItem.objects.none()
    serializer_class = AidEnrollmentItemOutput

    def get_queryset(self):
        params = self.request.query_params
        return selectors.aid_enrollment_item_list(
            fetched_by=self.request.user,
            status=params.get("status", ""),
            category=params.get("category", ""),
            query=params.get("q", ""),
        )


class AidEnrollmentItemDetailApi(generics.RetrieveAPIView):
    serializer_class = AidEnrollmentItemOutput

    def get_object(self):
        return selectors.get_aid_enrollment_item_for_user_or_404(
            fetched_by=self.request.user, item_id=self.kwargs["pk"]
        )


class AidEnrollmentItemEnrollApi(APIView):
    """Enroll the item's person: person, resident enrollment, aid record and the year's bill, in one go."""

    @extend_schema(request=AidEnrollmentItemEnrollInput, responses=AidEnrollmentItemOutput)
    def post(self, request, pk: int):
        item = selectors.get_aid_enrollment_item_for_user_or_404(fetched_by=request.user, item_id=pk)
        data = AidEnrollmentItemEnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.aid_enrollment_item_enroll(actor=request.user, item=item, **data.validated_data)
        item = selectors.get_aid_enrollment_item_for_user_or_404(fetched_by=request.user, item_id=pk)
        return Response(AidEnrollmentItemOutput(item).data)


class AidEnrollmentItemDismissApi(APIView):
    @extend_schema(request=AidEnrollmentItemDismissInput, responses=AidEnrollmentItemOutput)
    def post(self, request, pk: int):
        item = selectors.get_aid_enrollment_item_for_user_or_404(fetched_by=request.user, item_id=pk)
        data = AidEnrollmentItemDismissInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.aid_enrollment_item_dismiss(actor=request.user, item=item, note=data.validated_data["note"])
        return Response(AidEnrollmentItemOutput(item).data)


class AidCoverageRateApi(APIView):
    """资助困难群众参保率 for `year` per district and aid category (`district_code` to narrow), with who is
    still missing (masked ID numbers)."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=True), OpenApiParameter("district_code", str)],
        responses=AidCoverageRateOutput,
    )
    def get(self, request):
        params = request.query_params
        year = params.get("year", "")
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            raise ValidationError({"year": "年度应在 2000 至 2100 之间"})
        code = params.get("district_code", "")
        scope = {"fetched_by": request.user, "year": int(year), "district_id": district_id_for_code(code)}
        rate = selectors.aid_enrollment_rate(**scope)
        missing = selectors.aid_enrollment_missing(**scope)
        rows = [
            {
                "kind": "to_enroll", "name": i.name, "id_number_masked": i.masked_id_number, "category": i.category,
                "district_code": i.district.code, "item_id": i.pk, "person_id": None,
            }
            for i in missing["items"]
        ] + [
            {
                "kind": "unpaid", "name": r.person.name, "id_number_masked": r.person.masked_id_number,
                "category": r.category, "district_code": r.district.code, "item_id": None, "person_id": r.person_id,
            }
            for r in missing["recipients"]
        ]  # fmt: skip
        return Response(AidCoverageRateOutput({**rate, "missing": rows}).data)
