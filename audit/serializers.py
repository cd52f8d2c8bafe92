from rest_framework import serializers

from core.models import AuditEvent
from core.output_serializers import OutputSerializer


class AuditEventOutput(OutputSerializer):
    district_code = serializers.CharField(source="district.code", default=None, allow_null=True)

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
