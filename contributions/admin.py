from django.contrib import admin

from core.admin import AuditedModelAdmin

from .models import ContributionStandard, CoverageWindow


@admin.register(ContributionStandard)
class ContributionStandardAdmin(AuditedModelAdmin):
    list_display = ["year", "scheme", "category", "tier", "individual_amount", "fiscal_subsidy", "source"]
    list_filter = ["year", "scheme"]


@admin.register(CoverageWindow)
class CoverageWindowAdmin(AuditedModelAdmin):
    list_display = ["year", "window_start", "window_end", "waiting_days", "source", "waiting_source"]
