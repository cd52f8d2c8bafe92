from django.contrib import admin

from core.admin import AuditedModelAdmin, ReadOnlyAdmin

from .models import AidApplication, AidPolicy, AidRecipient, HighCostAlert


@admin.register(AidPolicy)
class AidPolicyAdmin(AuditedModelAdmin):
    """Municipal admins set each year's aid per category here; every save is audited."""

    list_display = ["year", "category", "subsidy_ratio", "subsidy_amount", "tilt", "aid_ratio", "aid_deductible",
                    "aid_annual_limit", "source"]  # fmt: skip
    list_filter = ["year", "category"]


# Changed only through the services (checks, transitions, audit): readable here, not editable.
@admin.register(AidRecipient)
class AidRecipientAdmin(ReadOnlyAdmin):
    list_display = ["person", "category", "valid_from", "valid_to", "source", "district"]
    list_filter = ["category", "source"]
    raw_id_fields = ["person"]


@admin.register(AidApplication)
class AidApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "person", "year", "requested_amount", "approved_amount", "status", "district"]
    list_filter = ["status", "year"]
    raw_id_fields = ["person"]


@admin.register(HighCostAlert)
class HighCostAlertAdmin(ReadOnlyAdmin):
    list_display = ["person", "year", "out_of_pocket", "threshold", "aid_recipient", "status", "district"]
    list_filter = ["status", "year"]
    raw_id_fields = ["person"]
