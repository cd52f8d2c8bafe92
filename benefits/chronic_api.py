"""REST endpoints of the 门诊慢特病 application workflow: the queue, take in, one application, move it.
Inputs and outputs apart; outputs carry the masked ID number only. Each view calls a selector or a service."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import date_field, id_field, query_int
from core.output_serializers import OutputSerializer
from enrollment.selectors import get_person_for_user_or_404

from . import chronic_applications as workflow
from .models.chronic import ChronicApplication

Status = ChronicApplication.Status


class ChronicApplicationOutput(OutputSerializer):
    person_id = serializers.IntegerField()
    person_name = serializers.CharField(source="person.name")
    id_number_masked = serializers.CharField(source="person.masked_id_number")
    district_code = serializers.CharField(source="district.code")
    disease_code = serializers.CharField(source="disease.code")
    disease_name = serializers.CharField(source="disease.name")
    hospital_code = serializers.CharField(source="hospital.code")
    hospital_name = serializers.CharField(source="hospital.name")
    evidence = serializers.ListField(child=serializers.CharField())
    submitted_by = serializers.CharField(source="submitted_by.username", default=None)
    assessed_by = serializers.CharField(source="assessed_by.username", default=None)
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    registration_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = ChronicApplication
        fields = [
            "id", "person_id", "person_name", "id_number_masked", "district_code", "disease_code", "disease_name",
            "hospital_code", "hospital_name", "diagnosis", "evidence", "status", "submitted_by", "created_at",
            "assessment_result", "assessment_reason", "assessed_by", "assessed_at", "decision_reason", "decided_by",
            "decided_at", "registration_id",
        ]  # fmt: skip


class ChronicApplicationInput(serializers.Serializer):
    person_id = id_field()
    disease_code = serializers.CharField(max_length=20)
    hospital_code = serializers.CharField(max_length=12)
    diagnosis = serializers.CharField(max_length=500)
    evidence = serializers.ListField(child=serializers.CharField(max_length=200), max_length=20)


class ChronicApplicationTransitionInput(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=[Status.ASSESSED, Status.APPROVED, Status.REJECTED])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    valid_from = date_field(required=False, allow_null=True)
    valid_to = date_field(required=False, allow_null=True)


class ChronicApplicationListApi(generics.ListCreateAPIView):
    """GET: the district's applications, `status` and `person` filters. POST: take in an application."""

    queryset = ChronicApplication.objects.none()  # for the schema; real rows come from the selector
    serializer_class = ChronicApplicationOutput

    def get_queryset(self):
        params = self.request.query_params
        return workflow.chronic_application_list(
            fetched_by=self.request.user,
            status=params.get("status", ""),
            person_id=query_int(params, "person", min_value=1, max_value=2**63 - 1),
        ).select_related("submitted_by", "assessed_by", "decided_by")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Status.values),
            OpenApiParameter("person", int),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ChronicApplicationInput, responses={201: ChronicApplicationOutput})
    def post(self, request):
        data = ChronicApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        person = get_person_for_user_or_404(fetched_by=request.user, person_id=values["person_id"])
        application = workflow.chronic_application_submit(
            actor=request.user,
            person=person,
            disease_code=values["disease_code"],
            hospital_code=values["hospital_code"],
            diagnosis=values["diagnosis"],
            evidence=values["evidence"],
        )
        return Response(ChronicApplicationOutput(application).data, status=status.HTTP_201_CREATED)


class ChronicApplicationDetailApi(generics.RetrieveAPIView):
    serializer_class = ChronicApplicationOutput

    def get_object(self):
        return workflow.get_chronic_application_for_user_or_404(
            fetched_by=self.request.user, application_id=self.kwargs["pk"]
        )


class ChronicApplicationTransitionApi(APIView):
    """评定 (assessed, reason) / 审批 (approved, valid_from) / 驳回 (rejected, reason)."""

    @extend_schema(request=ChronicApplicationTransitionInput, responses=ChronicApplicationOutput)
    def post(self, request, pk: int):
        application = workflow.get_chronic_application_for_user_or_404(fetched_by=request.user, application_id=pk)
        data = ChronicApplicationTransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        workflow.chronic_application_transition(
            actor=request.user,
            application=application,
            to_status=values["to_status"],
            reason=values["reason"],
            valid_from=values.get("valid_from"),
            valid_to=values.get("valid_to"),
        )
        application = workflow.get_chronic_application_for_user_or_404(fetched_by=request.user, application_id=pk)
        return Response(ChronicApplicationOutput(application).data)
