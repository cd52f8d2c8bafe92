"""The default fund risk-warning rules: configurable defaults (the seeds ask for 风险预警 but give no
thresholds); a municipal administrator changes them in the admin. Reverse: removes the defaults.

The months-of-payment rules are set per fund and not for 职工个人账户: personal accounts belong to their
holders and grow by design, so their months of payment measure no risk to the pooled funds."""

from django.db import migrations

DEFAULT = "可配置默认值：种子文件未规定阈值"
RULES = [
    ("months_below", "3", "red", DEFAULT),
    ("months_below", "6", "yellow", DEFAULT),
    ("months_above", "24", "yellow", DEFAULT),
    ("current_deficit", "0", "yellow", "003：以收定支、收支平衡"),
    ("budget_deviation", "20", "yellow", DEFAULT + "；按已过月份计算的预算进度与实际偏离的百分比"),
]


MONTHS = ("months_below", "months_above")
NOT_MONITORED = ("employee_accounts",)


def forward(apps, schema_editor):
    FundRiskRule = apps.get_model("audit", "FundRiskRule")
    Fund = apps.get_model("core", "Fund")
    for kind, threshold, level, note in RULES:
        funds = list(Fund.objects.exclude(code__in=NOT_MONITORED)) if kind in MONTHS else [None]
        for fund in funds:
            FundRiskRule.objects.get_or_create(
                kind=kind, threshold=threshold, level=level, fund=fund, defaults={"note": note}
            )


def reverse(apps, schema_editor):
    FundRiskRule = apps.get_model("audit", "FundRiskRule")
    for kind, threshold, level, _note in RULES:
        FundRiskRule.objects.filter(kind=kind, threshold=threshold, level=level).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_fund_budget_and_risk_rules"), ("core", "0009_fund_books_integrity")]
    operations = [migrations.RunPython(forward, reverse)]
