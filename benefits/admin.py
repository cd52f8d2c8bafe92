from django.contrib import admin

from core.admin import AuditedModelAdmin, ReadOnlyAdmin

from .models import AccountCreditRule, BenefitPolicy, ChronicDisease, CriticalIllnessPolicy, Institution, Settlement
from .models.chronic import ChronicApplication


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


@admin.register(ChronicDisease)
class ChronicDiseaseAdmin(AuditedModelAdmin):
    """The 门诊慢特病 catalogue: municipal admins add diseases or retire them (active off)."""

    list_display = ["code", "name", "kind", "active", "source"]
    list_filter = ["active", "kind"]


@admin.register(AccountCreditRule)
class AccountCreditRuleAdmin(AuditedModelAdmin):
    """个人账户划入标准 per year and category; set next year's before its first monthly credit."""

    list_display = ["year", "category", "rate", "fixed_amount", "source"]
    list_filter = ["year"]


# Changed only through the services (code checks, locks, ledger, audit): readable here, not editable.
@admin.register(Institution)
class InstitutionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "level", "district", "agreement_status"]
    list_filter = ["kind", "agreement_status"]
    search_fields = ["=code"]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["settlement_number", "institution", "benefit_type", "service_date", "total_cost", "status"]
    list_filter = ["status", "benefit_type", "year"]
    raw_id_fields = ["person", "enrollment", "institution", "account", "policy"]


# Moves only through the workflow service (separation of duties, audit): readable here, not editable.
@admin.register(ChronicApplication)
class ChronicApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "person", "disease", "hospital", "district", "status", "created_at"]
    list_filter = ["status", "disease"]
    raw_id_fields = ["person", "hospital", "registration"]
