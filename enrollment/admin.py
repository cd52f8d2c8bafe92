from django.contrib import admin

from audit.admin import AuditedModelAdmin

from .models import District


@admin.register(District)
class DistrictAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "name_en", "kind", "gb2260"]
    search_fields = ["code", "name"]
