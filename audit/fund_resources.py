"""基金预算 import (管理后台 → 基金预算 → 导入): columns 年度, 基金代码, 科目代码, 预算金额.

Whole file or nothing (one bad row leaves the budget untouched), each bad row named in Chinese, every row
written audited. Only income and expense accounts take a budget."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from import_export import fields, widgets

from core.models import AuditEvent, Fund, LedgerAccount
from core.money import to_fen
from core.services import audit_event_record, snapshot
from enrollment.resources import WholeFileImportResource

from .fund_models import FundBudget

BUDGETED = (LedgerAccount.Kind.INCOME, LedgerAccount.Kind.EXPENSE)


class AccountWidget(widgets.ForeignKeyWidget):
    """科目代码 names an account within the row's 基金代码 (codes repeat across funds)."""

    def __init__(self) -> None:
        super().__init__(LedgerAccount, field="code")

    def get_queryset(self, value, row, *args, **kwargs):
        return LedgerAccount.objects.filter(fund__code=str(row.get("基金代码") or "").strip(), kind__in=BUDGETED)


class FundBudgetResource(WholeFileImportResource):
    year = fields.Field(attribute="year", column_name="年度")
    fund = fields.Field(attribute="fund", column_name="基金代码", widget=widgets.ForeignKeyWidget(Fund, field="code"))
    account = fields.Field(attribute="account", column_name="科目代码", widget=AccountWidget())
    amount = fields.Field(attribute="amount", column_name="预算金额")

    class Meta:
        model = FundBudget
        fields = ("year", "fund", "account", "amount")
        import_id_fields = ("year", "fund", "account")
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import_row(self, row, **kwargs):
        try:
            year = int(str(row.get("年度") or "").strip())
        except ValueError:
            raise ValidationError({"年度": "年度须为四位数字，如 2024"}) from None
        if not 2000 <= year <= 2100:
            raise ValidationError({"年度": "年度须在 2000 至 2100 之间"})
        fund = Fund.objects.filter(code=str(row.get("基金代码") or "").strip()).first()
        if fund is None:
            raise ValidationError({"基金代码": f"基金代码不存在：{row.get('基金代码')}"})
        account = LedgerAccount.objects.filter(
            fund=fund, code=str(row.get("科目代码") or "").strip(), kind__in=BUDGETED
        ).first()
        if account is None:
            raise ValidationError({"科目代码": f"{fund.name}没有收入或支出科目 {row.get('科目代码')}"})
        try:
            amount = to_fen(Decimal(str(row.get("预算金额") or "").replace(",", "").strip()))
        except (InvalidOperation, ValueError):
            raise ValidationError({"预算金额": "预算金额应为数字，最多两位小数"}) from None
        if amount < 0 or amount >= Decimal("1e14"):
            raise ValidationError({"预算金额": "预算金额须为 0 至 99999999999999.99 元"})
        row["年度"], row["预算金额"] = year, amount
        row["基金代码"], row["科目代码"] = fund.code, account.code

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.updated_by = kwargs.get("user")

    def after_save_instance(self, instance, row, **kwargs):
        if not self._is_dry_run(kwargs):
            audit_event_record(
                actor=kwargs.get("user"), action=AuditEvent.Action.IMPORT, obj=instance,
                new_values=snapshot(instance), note="管理后台导入",
            )  # fmt: skip
