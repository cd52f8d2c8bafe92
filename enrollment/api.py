"""REST endpoints of the enrollment app. Each calls a selector or a service, nothing more."""

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.reference import district_id_for_code
from core.roles import Capability
from enrollment.models import Employer, Enrollment, Person

from . import selectors, services
from .serializers import (
    EmployerInput,
    EmployerOutput,
    EnrollInput,
    EnrollmentOutput,
    PersonDeathInput,
    PersonDetailOutput,
    PersonEnrollInput,
    PersonOutput,
    PersonUpdateInput,
    TerminateInput,
    TransferInput,
)


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
        district_id=district_id_for_code(data["district_code"]),
        employer_id=_employer_id(data.get("employer_credit_code")),
        contribution_base=data.get("contribution_base"),
        graduation_year=data.get("graduation_year"),
        start_date=data["start_date"],
    )


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
                district_id=district_id_for_code(values["district_code"]),
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


class PersonDeathApi(APIView):
    """死亡登记: POST the death date and its document; open enrollments end as of that day."""

    @extend_schema(request=PersonDeathInput, responses=PersonDetailOutput)
    def post(self, request, pk: int):
        person = selectors.get_person_for_user_or_404(fetched_by=request.user, person_id=pk)
        data = PersonDeathInput(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_death_record(actor=request.user, person=person, **data.validated_data)
        return Response(PersonDetailOutput(person).data)


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
            to_district_id=district_id_for_code(data.validated_data["to_district_code"], "to_district_code"),
            transfer_date=data.validated_data["transfer_date"],
        )
        return Response(EnrollmentOutput(transfer.to_enrollment).data, status=status.HTTP_201_CREATED)


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
            district_id=district_id_for_code(data.validated_data["district_code"]),
        )
        return Response(EmployerOutput(employer).data, status=status.HTTP_201_CREATED)
