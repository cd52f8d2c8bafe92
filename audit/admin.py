"""Admin pages of 智能监控规则 and 疑点: rules are data (parameters edited here, every change audited);
suspicions change only through the review service, so they are read-only here."""

import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connection
from import_export.admin import ImportExportModelAdmin

from core.admin import AuditedModelAdmin, ReadOnlyAdmin
from core.models import LedgerAccount

from .fraud_sql import BUILDERS, Dialect
from .fund_resources import BUDGETED, FundBudgetResource
from .models import CreditConsequence, CreditRating, FraudRule, FundBudget, FundRiskRule, Inspection, Suspicion


class FraudRuleForm(forms.ModelForm):
    class Meta:
        model = FraudRule
        fields = ["code", "name", "kind", "params", "severity", "active", "description"]

    def clean(self):
        data = super().clean()
        kind, params = data.get("kind"), data.get("params")
        if kind in BUILDERS:
            if not isinstance(params, dict):
                raise ValidationError({"params": "参数应为 JSON 对象"})
            try:  # the same check a scan makes, so a bad parameter never reaches a scan
                BUILDERS[kind](params, Dialect(connection.vendor), {"start": dt.date.today(), "end": dt.date.today()})
            except ValidationError as exc:
                raise ValidationError({"params": exc.messages}) from None
        return data


@admin.register(FraudRule)
class FraudRuleAdmin(AuditedModelAdmin):
    form = FraudRuleForm
    list_display = ["code", "name", "kind", "severity", "active", "updated_at"]
    list_filter = ["kind", "severity", "active"]

    def has_delete_permission(self, request, obj=None):
        return False  # rules with hits are kept; switch a rule off with "active"


@admin.register(Suspicion)
class SuspicionAdmin(ReadOnlyAdmin):
    list_display = ["id", "rule", "settlement", "district", "service_date", "amount", "status"]
    list_filter = ["status", "rule"]
    raw_id_fields = ["settlement", "person", "institution", "reviewed_by", "scan_run"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "kind", "institution", "district", "started_on", "status", "recovered_amount", "penalty_amount",
    ]  # fmt: skip
    list_filter = ["kind", "status"]


@admin.register(CreditRating)
class CreditRatingAdmin(ReadOnlyAdmin):
    list_display = ["institution", "year", "score", "grade"]
    list_filter = ["year", "grade"]


@admin.register(CreditConsequence)
class CreditConsequenceAdmin(AuditedModelAdmin):
    """信用评价结果运用: which grade leads to which measure; the next rating job applies a change.
    Switch a rule off with "active" rather than deleting it."""

    list_display = ["grade", "action", "active", "source", "updated_at"]
    list_filter = ["grade", "action", "active"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundBudget)
class FundBudgetAdmin(ImportExportModelAdmin, AuditedModelAdmin):
    """基金预算: entered line by line or imported (年度, 基金代码, 科目代码, 预算金额) by municipal admins."""

    resource_classes = [FundBudgetResource]
    list_display = ["year", "fund", "account", "amount", "updated_by", "updated_at"]
    list_filter = ["year", "fund"]
    exclude = ["updated_by"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "account":
            kwargs["queryset"] = LedgerAccount.objects.filter(kind__in=BUDGETED).select_related("fund")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if obj.account_id and obj.fund_id and obj.account.fund_id != obj.fund_id:
            obj.fund_id = obj.account.fund_id  # the account names its fund
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FundRiskRule)
class FundRiskRuleAdmin(AuditedModelAdmin):
    """风险预警规则: thresholds as data; switch a rule off with "active" rather than deleting it."""

    list_display = ["kind", "fund", "threshold", "level", "active", "note"]
    list_filter = ["kind", "level", "active"]

    def has_delete_permission(self, request, obj=None):
        return False
