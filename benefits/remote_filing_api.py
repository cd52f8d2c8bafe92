"""REST endpoints of 异地就医备案: staff list, file, read, change and revoke (district-scoped), and the
self-service channel's endpoint, which files and reads for the one person it has identified by ID number
and name. Inputs and outputs apart; outputs carry the masked ID number only. Each view calls a selector or
a service, nothing more."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import date_field, id_field
from core.areas import area_name
from core.output_serializers import OutputSerializer
from core.roles import Capability
from enrollment.selectors import get_person_for_user_or_404

from . import remote_filing_selectors as selectors
from .models import RemoteCareFiling, RemoteCareRule
from .models.remote import FilingType
from .services.remote_filings import filing_change, filing_create, filing_revoke

AREA_CODE = r"^[0-9]{6}$"
AREA_MESSAGE = {"invalid": "地区编码应为6位行政区划代码，如 510000"}
DOCUMENTS_MAX = 20


def _area_field(**kwargs) -> serializers.RegexField:
    return serializers.RegexField(AREA_CODE, max_length=6, error_messages=AREA_MESSAGE, **kwargs)


def _documents_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=DOCUMENTS_MAX, allow_empty=True, **kwargs
    )


# --- outputs ----------------------------------------------------------------------------------------------------


class RemoteCareRuleOutput(OutputSerializer):
    class Meta:
        model = RemoteCareRule
        fields = [
            "id", "year", "version", "filing_type", "ratio_reduction", "valid_months", "min_months_before_change",
            "required_documents", "self_service_documents", "source",
        ]  # fmt: skip


class RemoteFilingOutput(OutputSerializer):
    person_id = serializers.IntegerField()
    person_name = serializers.CharField(source="person.name")
    id_number_masked = serializers.CharField(source="person.masked_id_number")
    district_code = serializers.CharField(source="district.code")
    filing_type_label = serializers.CharField(source="get_filing_type_display")
    destination_name = serializers.SerializerMethodField()
    documents_checked = serializers.ListField(child=serializers.CharField())
    rule = RemoteCareRuleOutput()
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)

    class Meta:
        model = RemoteCareFiling
        fields = [
            "id", "person_id", "person_name", "id_number_masked", "district_code", "scheme", "filing_type",
            "filing_type_label", "destination_code", "destination_name", "valid_from", "valid_to",
            "documents_checked", "channel", "status", "note", "rule", "created_by", "created_at", "changed_at",
            "revoked_at", "revoke_reason",
        ]  # fmt: skip

    def get_destination_name(self, filing: RemoteCareFiling) -> str:
        return area_name(filing.destination_code)


class SelfServiceFilingOutput(RemoteFilingOutput):
    """What the person's own channel shows: no staff account names."""

    created_by = None

    class Meta(RemoteFilingOutput.Meta):
        fields = [f for f in RemoteFilingOutput.Meta.fields if f != "created_by"]


# --- inputs -----------------------------------------------------------------------------------------------------


class RemoteFilingListQuery(serializers.Serializer):
    q = serializers.CharField(max_length=50, required=False, help_text="完整身份证号或姓名开头")
    filing_type = serializers.ChoiceField(choices=FilingType.choices, required=False)
    status = serializers.ChoiceField(choices=RemoteCareFiling.Status.choices, required=False)
    destination = _area_field(required=False, help_text="就医地代码；省级代码（xx0000）含全省")
    person = id_field(required=False)


class RemoteFilingInput(serializers.Serializer):
    person_id = id_field()
    filing_type = serializers.ChoiceField(choices=FilingType.choices)
    destination_code = _area_field()
    valid_from = date_field()
    valid_to = date_field(required=False, allow_null=True, help_text="不填：按政策有效期计算；长期备案长期有效")
    documents_checked = _documents_field()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RemoteFilingChangeInput(serializers.Serializer):
    destination_code = _area_field(required=False)
    valid_to = date_field(required=False)
    documents_checked = _documents_field(required=False)
    reason = serializers.CharField(max_length=200)


class RemoteFilingRevokeInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class SelfServiceIdentity(serializers.Serializer):
    id_number = serializers.CharField(max_length=18)
    name = serializers.CharField(max_length=50)


class SelfServiceFilingInput(SelfServiceIdentity):
    filing_type = serializers.ChoiceField(choices=FilingType.choices)
    destination_code = _area_field()
    valid_from = date_field()
    valid_to = date_field(required=False, allow_null=True)
    documents = _documents_field()


# --- staff ------------------------------------------------------------------------------------------------------


class RemoteFilingListApi(generics.ListCreateAPIView):
    """GET: the district's filings (`q`, `filing_type`, `status`, `destination`, `person`). POST: file one
    (channel "api"); the person must be in the caller's district."""

    queryset = RemoteCareFiling.objects.none()  # for the schema; real rows come from the selector
    serializer_class = RemoteFilingOutput

    def get_queryset(self):
        # A plain dict, not the QueryDict: DRF would read "?q=" as "not given", while the schema says
        # an empty value is invalid (and a client sending one has made a mistake worth a 400).
        query = RemoteFilingListQuery(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        values = query.validated_data
        return selectors.remote_filing_list(
            fetched_by=self.request.user,
            query=values.get("q", ""),
            filing_type=values.get("filing_type", ""),
            status=values.get("status", ""),
            destination=values.get("destination", ""),
            person_id=values.get("person"),
        )

    @extend_schema(parameters=[RemoteFilingListQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RemoteFilingInput, responses={201: RemoteFilingOutput})
    def post(self, request):
        data = RemoteFilingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        person = get_person_for_user_or_404(fetched_by=request.user, person_id=values["person_id"])
        filing = filing_create(
            actor=request.user,
            person=person,
            filing_type=values["filing_type"],
            destination_code=values["destination_code"],
            valid_from=values["valid_from"],
            valid_to=values.get("valid_to"),
            documents_checked=values["documents_checked"],
            channel=RemoteCareFiling.Channel.API,
            note=values["note"],
        )
        return Response(RemoteFilingOutput(filing).data, status=status.HTTP_201_CREATED)


class RemoteFilingDetailApi(APIView):
    """GET one filing; PATCH changes it (destination, end date, documents; a reason is required)."""

    @extend_schema(responses=RemoteFilingOutput)
    def get(self, request, pk: int):
        filing = selectors.get_remote_filing_for_user_or_404(fetched_by=request.user, filing_id=pk)
        return Response(RemoteFilingOutput(filing).data)

    @extend_schema(request=RemoteFilingChangeInput, responses=RemoteFilingOutput)
    def patch(self, request, pk: int):
        filing = selectors.get_remote_filing_for_user_or_404(fetched_by=request.user, filing_id=pk)
        data = RemoteFilingChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        filing_change(
            actor=request.user,
            filing=filing,
            destination_code=values.get("destination_code"),
            valid_to=values.get("valid_to"),
            documents_checked=values.get("documents_checked"),
            reason=values["reason"],
        )
        filing = selectors.get_remote_filing_for_user_or_404(fetched_by=request.user, filing_id=pk)
        return Response(RemoteFilingOutput(filing).data)


class RemoteFilingRevokeApi(APIView):
    """撤销. Revoking a revoked filing answers 200 and changes nothing."""

    @extend_schema(request=RemoteFilingRevokeInput, responses=RemoteFilingOutput)
    def post(self, request, pk: int):
        filing = selectors.get_remote_filing_for_user_or_404(fetched_by=request.user, filing_id=pk)
        data = RemoteFilingRevokeInput(data=request.data)
        data.is_valid(raise_exception=True)
        filing_revoke(actor=request.user, filing=filing, reason=data.validated_data["reason"])
        filing = selectors.get_remote_filing_for_user_or_404(fetched_by=request.user, filing_id=pk)
        return Response(RemoteFilingOutput(filing).data)


# --- self-service -----------------------------------------------------------------------------------------------


class HasSelfService(BasePermission):
    """Only a self-service channel's account (政务服务平台, app): staff use the staff endpoints."""

    message = "只有自助服务渠道接口账号可以调用该接口"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_capability(Capability.SELF_SERVICE))


class SelfServiceRemoteFilingApi(generics.ListCreateAPIView):
    """GET ?id_number=&name=: that person's filings. POST: file one for the person identified by ID number
    and name (both must match), from today on, with the self-service documents (the person's 承诺书)."""

    queryset = RemoteCareFiling.objects.none()
    serializer_class = SelfServiceFilingOutput
    permission_classes = [IsAuthenticated, HasSelfService]

    def get_queryset(self):
        identity = SelfServiceIdentity(data=self.request.query_params.dict())
        identity.is_valid(raise_exception=True)
        person = selectors.self_service_person(**identity.validated_data)
        return selectors.self_service_filings(fetched_by=self.request.user, person=person)

    @extend_schema(
        parameters=[
            OpenApiParameter("id_number", str, required=True, description="身份证号"),
            OpenApiParameter("name", str, required=True, description="姓名"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=SelfServiceFilingInput, responses={201: SelfServiceFilingOutput})
    def post(self, request):
        data = SelfServiceFilingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        person = selectors.self_service_person(id_number=values["id_number"], name=values["name"])
        try:
            filing = filing_create(
                actor=request.user,
                person=person,
                filing_type=values["filing_type"],
                destination_code=values["destination_code"],
                valid_from=values["valid_from"],
                valid_to=values.get("valid_to"),
                documents_checked=values["documents"],
                channel=RemoteCareFiling.Channel.SELF_SERVICE,
            )
        except DjangoValidationError as error:
            # This payload calls the list "documents" (what the person provided, not what staff checked).
            if hasattr(error, "error_dict") and "documents_checked" in error.error_dict:
                error.error_dict["documents"] = error.error_dict.pop("documents_checked")
            raise
        return Response(SelfServiceFilingOutput(filing).data, status=status.HTTP_201_CREATED)
