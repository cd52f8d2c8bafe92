from rest_framework import serializers

from .models import AuditEvent, JobRun, User


class MeOutput(serializers.ModelSerializer):
    district_code = serializers.CharField(source="district.code", default=None)
    capabilities = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "role", "district_code", "capabilities"]

    def get_capabilities(self, user) -> list[str]:
        from .roles import CAPABILITIES

        return sorted(CAPABILITIES.get(user.role, ()))


class AuditEventOutput(serializers.ModelSerializer):
    district_code = serializers.CharField(source="district.code", default=None)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "district_code",
            "old_values",
            "new_values",
            "ip_address",
            "note",
        ]


class JobRunOutput(serializers.ModelSerializer):
    class Meta:
        model = JobRun
        fields = [
            "id",
            "kind",
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
