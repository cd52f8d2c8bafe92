"""REST endpoints of the benefits app. Institutions' systems settle here; staff read, reverse and
record manual reimbursements. Each view calls a selector or a service, nothing more."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import HasStaffRole
from core.reference import district_id_for_code
from core.roles import Capability
from enrollment.selectors import get_person_for_user_or_404

from . import selectors, services
from .forms import care_area_clean
from .models import AccountEntry, AnnualAccumulator, ChronicRegistration, Institution, Settlement
from .serializers import (
    AccountEntryOutput,
    AccountOutput,
    AccountPaymentInput,
    AccumulatorOutput,
    ChronicRegistrationInput,
    ChronicRegistrationOutput,
    FamilyBindingInput,
    FamilyBindingOutput,
    InstitutionInput,
    InstitutionOutput,
    InstitutionUpdateInput,
    ManualSettlementInput,
    ReversalInput,
    SettlementInput,
    SettlementOutput,
)


class HasViewOrSettle(HasStaffRole):
    """Reads open to staff (view) and to an institution's system account (its own records only)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.has_capability(Capability.VIEW) or user.has_capability(Capability.SETTLE))
        )


def _settled(settlement: Settlement, created: bool) -> Response:
    return Response(
        SettlementOutput(settlement).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
    )


class InstitutionListApi(generics.ListCreateAPIView):
    queryset = Institution.objects.none()
    serializer_class = InstitutionOutput

    def get_queryset(self):
        return selectors.institution_list(fetched_by=self.request.user, query=self.request.query_params.get("q", ""))

    @extend_schema(request=InstitutionInput, responses={201: InstitutionOutput})
    def post(self, request):
        data = InstitutionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        institution = services.institution_register(
            actor=request.user, district_id=district_id_for_code(values.pop("district_code")), **values
        )
        return Response(InstitutionOutput(institution).data, status=status.HTTP_201_CREATED)


class InstitutionDetailApi(APIView):
    @extend_schema(responses=InstitutionOutput)
    def get(self, request, pk: int):
        institution = selectors.get_institution_for_user_or_404(fetched_by=request.user, institution_id=pk)
        return Response(InstitutionOutput(institution).data)

    @extend_schema(request=InstitutionUpdateInput, responses=InstitutionOutput)
    def patch(self, request, pk: int):
        institution = selectors.get_institution_for_user_or_404(fetched_by=request.user, institution_id=pk)
        data = InstitutionUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = {"level": institution.level, "agreement_end": institution.agreement_end, **data.validated_data}
        institution = services.institution_update(actor=request.user, institution=institution, **values)
        return Response(InstitutionOutput(institution).data)


class SettlementListApi(generics.ListCreateAPIView):
    """GET: settlements in scope. POST (an institution's system account): settle one claim.

    Idempotent on (institution, settlement_number): the same request again answers 200 with the first
    result; the same number with different content answers 409 and changes nothing."""

    queryset = Settlement.objects.none()
    serializer_class = SettlementOutput
    permission_classes = [IsAuthenticated, HasViewOrSettle]

    def get_queryset(self):
        keys = ("settlement_number", "institution", "person_id", "year", "status")
        filters = {k: self.request.query_params.get(k) for k in keys}
        return selectors.settlement_list(fetched_by=self.request.user, filters=filters)

    @extend_schema(request=SettlementInput, responses={201: SettlementOutput, 200: SettlementOutput})
    def post(self, request):
        if not request.user.has_capability(Capability.SETTLE):
            return Response({"detail": "只有定点机构接口账号可以联网结算"}, status=status.HTTP_403_FORBIDDEN)
        data = SettlementInput(data=request.data)
        data.is_valid(raise_exception=True)
        settlement, created = services.settlement_create(
            actor=request.user,
            institution=request.user.institution,
            request=services.SettlementRequest(**data.validated_data),
        )
        return _settled(settlement, created)


class ManualSettlementApi(APIView):
    """零星报销 by staff: an invoice the patient paid in full, reimbursed by the same rules."""

    @extend_schema(request=ManualSettlementInput, responses={201: SettlementOutput, 200: SettlementOutput})
    def post(self, request):
        data = ManualSettlementInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        code = values.pop("institution_code")
        area, name, level = (
            values.pop("care_area_code"),
            values.pop("institution_name"),
            values.pop("institution_level"),
        )
        claim = services.SettlementRequest(**values, use_account=False)
        if not area:
            if name or level is not None:
                raise ValidationError(
                    {"care_area_code": "市外就医请填写就医地区划代码；市内就医不填就医机构名称和等级"}
                )
            institution = selectors.institution_by_code(code=code)
            if institution is None:
                raise ValidationError({"institution_code": "机构编码不存在"})
            settlement, created = services.settlement_create(
                actor=request.user, institution=institution, request=claim, kind=Settlement.Kind.MANUAL
            )
            return _settled(settlement, created)
        area = care_area_clean(area)
        settlement, created = services.settlement_manual_elsewhere(
            actor=request.user,
            request=claim,
            care_area_code=area,
            institution_code=code,
            institution_name=name,
            institution_level=level,
        )
        return _settled(settlement, created)


class SettlementDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasViewOrSettle]

    @extend_schema(responses=SettlementOutput)
    def get(self, request, pk: int):
        return Response(
            SettlementOutput(selectors.get_settlement_for_user_or_404(fetched_by=request.user, settlement_id=pk)).data
        )


class SettlementReversalApi(APIView):
    """冲正: by the institution that settled it, or by a reviewer of the patient's district. Idempotent."""

    permission_classes = [IsAuthenticated, HasViewOrSettle]

    @extend_schema(request=ReversalInput, responses=SettlementOutput)
    def post(self, request, pk: int):
        settlement = selectors.get_settlement_for_user_or_404(fetched_by=request.user, settlement_id=pk)
        data = ReversalInput(data=request.data)
        data.is_valid(raise_exception=True)
        settlement, _ = services.settlement_reverse(actor=request.user, settlement=settlement, **data.validated_data)
        return Response(SettlementOutput(settlement).data)


class PersonAccumulatorApi(generics.ListAPIView):
    queryset = AnnualAccumulator.objects.none()  # for the schema; real rows come from the selector
    serializer_class = AccumulatorOutput
    pagination_class = None

    def get_queryset(self):
        person = get_person_for_user_or_404(fetched_by=self.request.user, person_id=self.kwargs["pk"])
        return selectors.person_accumulators(person=person)


class PersonChronicApi(generics.ListCreateAPIView):
    queryset = ChronicRegistration.objects.none()  # for the schema; real rows come from the selector
    serializer_class = ChronicRegistrationOutput
    pagination_class = None

    def get_queryset(self):
        person = get_person_for_user_or_404(fetched_by=self.request.user, person_id=self.kwargs["pk"])
        return selectors.person_chronic_registrations(person=person)

    @extend_schema(request=ChronicRegistrationInput, responses={201: ChronicRegistrationOutput})
    def post(self, request, pk: int):
        person = get_person_for_user_or_404(fetched_by=request.user, person_id=pk)
        data = ChronicRegistrationInput(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.chronic_registration_create(actor=request.user, person=person, **data.validated_data)
        return Response(ChronicRegistrationOutput(registration).data, status=status.HTTP_201_CREATED)


def _account_or_404(request, pk: int):
    person = get_person_for_user_or_404(fetched_by=request.user, person_id=pk)
    account = selectors.person_account(person=person)
    if account is None:
        raise ValidationError({"person": "该参保人没有职工医保个人账户"})
    return person, account


class PersonAccountApi(APIView):
    @extend_schema(responses=AccountOutput)
    def get(self, request, pk: int):
        return Response(AccountOutput(_account_or_404(request, pk)[1]).data)


class AccountEntryListApi(generics.ListAPIView):
    queryset = AccountEntry.objects.none()  # for the schema; real rows come from the selector
    serializer_class = AccountEntryOutput

    def get_queryset(self):
        return selectors.account_entries(account=_account_or_404(self.request, self.kwargs["pk"])[1])


class AccountFamilyApi(APIView):
    @extend_schema(request=FamilyBindingInput, responses={201: FamilyBindingOutput})
    def post(self, request, pk: int):
        person = get_person_for_user_or_404(fetched_by=request.user, person_id=pk)
        data = FamilyBindingInput(data=request.data)
        data.is_valid(raise_exception=True)
        binding = services.family_binding_create(actor=request.user, holder=person, **data.validated_data)
        return Response(FamilyBindingOutput(binding).data, status=status.HTTP_201_CREATED)


class AccountPaymentApi(APIView):
    @extend_schema(request=AccountPaymentInput, responses={201: AccountEntryOutput})
    def post(self, request, pk: int):
        person, _ = _account_or_404(request, pk)
        data = AccountPaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.account_payment_record(actor=request.user, holder=person, **data.validated_data)
        return Response(AccountEntryOutput(entry).data, status=status.HTTP_201_CREATED)
