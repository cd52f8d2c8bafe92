from rest_framework import serializers

from .models import District


class DistrictOutput(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["code", "name", "name_en", "kind", "gb2260"]
