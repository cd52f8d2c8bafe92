"""REST endpoints of the enrollment app. Each calls a selector or a service, nothing more."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.roles import Capability

from . import selectors, services
from .importing.payments import payment_batch_create
from .importing.pipeline import import_batch_confirm, import_batch_create, import_batch_revalidate
from .models import ContributionBill, District, Employer, Enrollment, ImportBatch, ImportRowError, Person
from .serializers import (
    BillIssueInput,
    BillOutput,
    DistrictOutput,
    EmployerInput,
    EmployerOutput,
    EnrollInput,
    EnrollmentOutput,
    ImportInput,
    ImportOutput,
    ImportRowErrorOutput,
    PaymentInput,
    PaymentOutput,
    PersonDetailOutput,
    PersonEnrollInput,
    PersonOutput,
    PersonUpdateInput,
    TerminateInput,
    TransferInput,
)


def _district_id(code: str | None, field: str = "district_code") -> int | None:
    if not code:
        return None
    district = District.objects.filter(code=code).first()
    if district is None:
        raise ValidationError({field: "区县代码不存在"})
    return district.pk


def _employer_id(code: str | None) -> int | None:
    if not code:
        return None
    employer = selectors.employer_by_code(credit_code=code)
    if employer is None:
        raise ValidationError({"employer_credit_code": "参保单位未登记"})
    return employer.pk


def _enroll(actor, person: Person, data: dict) -> Enrollment:
    return services.enrollment_register(
        actor=actor,
        person=person,
        scheme=data["scheme"],
        category=data["category"],
        tier=data.get("tier"),
        district_id=_district_id(data["district_code"]),
        employer_id=_employer_id(data.get("employer_credit_code")),
        contribution_base=data.get("contribution_base"),
        graduation_year=data.get("graduation_year"),
        start_date=data["start_date"],
    )


class DistrictListApi(generics.ListAPIView):
    queryset = District.objects.none()  # for the schema; real rows come from the selector
    serializer_class = DistrictOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.district_list(fetched_by=self.request.user)


class PersonListApi(generics.ListCreateAPIView):
    """GET: search by `q` (ID number or leading digits, or exact name). POST: register person and enrollment."""

    queryset = Person.objects.none()
    serializer_class = PersonOutput

    def get_queryset(self):
        return selectors.person_list(fetched_by=self.request.user, query=self.request.query_params.get("q", ""))

    @extend_schema(request=PersonEnrollInput, responses={201: PersonDetailOutput})
    def post(self, request):
        data = PersonEnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with transaction.atomic():
            person = services.person_register(
                actor=request.user,
                id_number=values["id_number"],
                name=values["name"],
                phone=values.get("phone", ""),
                district_id=_district_id(values["district_code"]),
            )
            _enroll(request.user, person, values)
        return Response(PersonDetailOutput(person).data, status=status.HTTP_201_CREATED)


class PersonDetailApi(APIView):
    @extend_schema(responses=PersonDetailOutput)
    def get(self, request, pk: int):
        person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=pk)
        return Response(PersonDetailOutput(person).data)

    @extend_schema(request=PersonUpdateInput, responses=PersonOutput)
    def patch(self, request, pk: int):
        person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=pk)
        data = PersonUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_update(
            actor=request.user,
            person=person,
            name=data.validated_data["name"],
            phone=data.validated_data.get("phone", person.phone),
        )
        return Response(PersonOutput(person).data)


class PersonRevealIdApi(APIView):
    """The full ID number; the call itself is written to the audit trail."""

    required_capability = Capability.UNMASK

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {"id_number": {"type": "string"}}}})
    def post(self, request, pk: int):
        person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=pk)
        return Response({"id_number": services.person_reveal_id_number(actor=request.user, person=person)})


class PersonEnrollApi(APIView):
    @extend_schema(request=EnrollInput, responses={201: EnrollmentOutput})
    def post(self, request, pk: int):
        person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=pk)
        data = EnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = _enroll(request.user, person, data.validated_data)
        return Response(EnrollmentOutput(enrollment).data, status=status.HTTP_201_CREATED)


class EnrollmentListApi(generics.ListAPIView):
    queryset = Enrollment.objects.none()
    serializer_class = EnrollmentOutput

    def get_queryset(self):
        filters = {k: self.request.query_params.get(k) for k in ("status", "scheme", "category", "person")}
        return selectors.enrollment_list(fetched_by=self.request.user, filters=filters).select_related("employer")


class EnrollmentTerminateApi(APIView):
    @extend_schema(request=TerminateInput, responses=EnrollmentOutput)
    def post(self, request, pk: int):
        enrollment = selectors.get_enrollment_for_user_or_404(fetched_by=request.user, enrollment_id=pk)
        data = TerminateInput(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = services.enrollment_terminate(actor=request.user, enrollment=enrollment, **data.validated_data)
        return Response(EnrollmentOutput(enrollment).data)


class EnrollmentTransferApi(APIView):
    @extend_schema(request=TransferInput, responses={201: EnrollmentOutput})
    def post(self, request, pk: int):
        enrollment = selectors.get_enrollment_for_user_or_404(fetched_by=request.user, enrollment_id=pk)
        data = TransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = services.enrollment_transfer(
            actor=request.user,
            enrollment=enrollment,
            to_district_id=_district_id(data.validated_data["to_district_code"], "to_district_code"),
            transfer_date=data.validated_data["transfer_date"],
        )
        return Response(EnrollmentOutput(transfer.to_enrollment).data, status=status.HTTP_201_CREATED)


class EnrollmentBillApi(APIView):
    @extend_schema(request=BillIssueInput, responses={201: BillOutput})
    def post(self, request, pk: int):
        enrollment = selectors.get_enrollment_for_user_or_404(fetched_by=request.user, enrollment_id=pk)
        data = BillIssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        bill = services.contribution_bill_issue(
            actor=request.user, enrollment=enrollment, coverage_year=data.validated_data["coverage_year"]
        )
        return Response(BillOutput(bill).data, status=status.HTTP_201_CREATED)


class EmployerListApi(generics.ListCreateAPIView):
    queryset = Employer.objects.none()
    serializer_class = EmployerOutput

    def get_queryset(self):
        return selectors.employer_list(fetched_by=self.request.user, query=self.request.query_params.get("q", ""))

    @extend_schema(request=EmployerInput, responses={201: EmployerOutput})
    def post(self, request):
        data = EmployerInput(data=request.data)
        data.is_valid(raise_exception=True)
        employer = services.employer_register(
            actor=request.user,
            credit_code=data.validated_data["credit_code"],
            name=data.validated_data["name"],
            district_id=_district_id(data.validated_data["district_code"]),
        )
        return Response(EmployerOutput(employer).data, status=status.HTTP_201_CREATED)


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


class ImportListApi(generics.ListCreateAPIView):
    """POST an enrollee list (multipart): it is validated in the background; poll the batch, then confirm."""

    queryset = ImportBatch.objects.none()
    serializer_class = ImportOutput
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.import_batch_list(fetched_by=self.request.user)

    @extend_schema(request=ImportInput, responses={202: ImportOutput})
    def post(self, request):
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        code = data.validated_data.get("district_code")
        district_id = _district_id(code) if code else request.user.district_id
        common = {
            "actor": request.user,
            "fileobj": upload,
            "original_name": upload.name,
            "district_id": district_id,
            "mode": data.validated_data["mode"],
        }
        if data.validated_data["kind"] == ImportBatch.Kind.PAYMENTS:
            batch = payment_batch_create(**common)
        else:
            if not data.validated_data.get("effective_date"):
                raise ValidationError({"effective_date": "导入参保人员名单须填写参保开始日期"})
            batch = import_batch_create(**common, effective_date=data.validated_data["effective_date"])
        batch.refresh_from_db()
        return Response(ImportOutput(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(generics.RetrieveAPIView):
    serializer_class = ImportOutput

    def get_object(self):
        return selectors.get_import_batch_for_user_or_404(fetched_by=self.request.user, batch_id=self.kwargs["pk"])


class ImportErrorListApi(generics.ListAPIView):
    queryset = ImportRowError.objects.none()
    serializer_class = ImportRowErrorOutput

    def get_queryset(self):
        batch = selectors.get_import_batch_for_user_or_404(fetched_by=self.request.user, batch_id=self.kwargs["pk"])
        return selectors.import_row_errors(batch=batch)


class ImportRevalidateApi(APIView):
    @extend_schema(request=None, responses={202: ImportOutput})
    def post(self, request, pk: int):
        batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=pk)
        import_batch_revalidate(actor=request.user, batch=batch)
        return Response(ImportOutput(get_object_or_404(ImportBatch, pk=pk)).data, status=status.HTTP_202_ACCEPTED)


class ImportConfirmApi(APIView):
    @extend_schema(request=None, responses={202: ImportOutput})
    def post(self, request, pk: int):
        batch = selectors.get_import_batch_for_user_or_404(fetched_by=request.user, batch_id=pk)
        import_batch_confirm(actor=request.user, batch=batch)
        return Response(ImportOutput(get_object_or_404(ImportBatch, pk=pk)).data, status=status.HTTP_202_ACCEPTED)
