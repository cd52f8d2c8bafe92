from django.contrib import admin

from audit.admin import AuditedModelAdmin

from .models import BenefitPolicy, CriticalIllnessPolicy


@admin.register(BenefitPolicy)
class BenefitPolicyAdmin(AuditedModelAdmin):
    """Municipal admins edit the benefit list here; every save is audited (files: `benefit_policy load`)."""

    list_display = ["year", "scheme", "category", "tier", "benefit_type", "institution_level", "deductible", "ratio",
                    "annual_cap", "version", "source"]  # fmt: skip
    list_filter = ["year", "scheme", "benefit_type"]


@admin.register(CriticalIllnessPolicy)
class CriticalIllnessPolicyAdmin(AuditedModelAdmin):
    list_display = ["year", "scheme", "deductible", "annual_cap", "version", "source"]
    list_filter = ["year", "scheme"]
