from rest_framework import serializers

from .api_fields import date_field
from .importing.registry import importer_for, upload_page_importers
from .jobs import job_label
from .models import District, ImportBatch, ImportRowError, JobRun, User
from .output_serializers import OutputSerializer
from .roles import CAPABILITIES


class MeOutput(OutputSerializer):
    district_code = serializers.CharField(source="district.code", default=None, allow_null=True)
    capabilities = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "role", "district_code", "capabilities"]

    def get_capabilities(self, user) -> list[str]:
        return sorted(CAPABILITIES.get(user.role, ()))


class JobRunOutput(OutputSerializer):
    kind_label = serializers.SerializerMethodField()

    class Meta:
        model = JobRun
        fields = [
            "id",
            "kind",
            "kind_label",
            "params",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "total",
            "done",
            "percent",
            "counts",
            "error",
        ]

    def get_kind_label(self, run: JobRun) -> str:
        return job_label(run.kind)


class DistrictOutput(OutputSerializer):
    class Meta:
        model = District
        fields = ["code", "name", "name_en", "kind", "gb2260"]


class ImportInput(serializers.Serializer):
    # Kinds with their own endpoint (aid-recipient lists: POST /api/v1/aid-recipients/import/) are refused here.
    kind = serializers.ChoiceField(choices=[], default=ImportBatch.Kind.ENROLLEES)
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportBatch.Mode.choices, default=ImportBatch.Mode.ATOMIC)
    effective_date = date_field(required=False, help_text="required for kind=enrollees")
    district_code = serializers.CharField(max_length=6, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(i.kind, str(i.label)) for i in upload_page_importers()]

    def validate(self, attrs):
        needs = importer_for(attrs["kind"]).options
        if "effective_date" in needs and not attrs.get("effective_date"):
            raise serializers.ValidationError({"effective_date": "导入参保人员名单须填写参保开始日期"})
        return attrs


class ImportOutput(OutputSerializer):
    district_code = serializers.CharField(source="district.code", default=None, allow_null=True)
    progress = serializers.IntegerField(source="job_run.percent", default=None, allow_null=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "kind",
            "original_name",
            "sha256",
            "mode",
            "status",
            "district_code",
            "effective_date",
            "total_rows",
            "valid_rows",
            "error_rows",
            "counts",
            "progress",
            "error",
            "created_at",
        ]


class ImportRowErrorOutput(OutputSerializer):
    class Meta:
        model = ImportRowError
        fields = ["id", "row_number", "field", "value", "message"]
