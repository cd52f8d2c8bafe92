from django.contrib import admin

from core.admin import AuditedModelAdmin

from .models import ContributionStandard


@admin.register(ContributionStandard)
class ContributionStandardAdmin(AuditedModelAdmin):
    list_display = ["year", "scheme", "category", "tier", "individual_amount", "fiscal_subsidy", "source"]
    list_filter = ["year", "scheme"]
