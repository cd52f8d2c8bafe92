"""Seed one 智能监控规则 per kind. The parameters are configurable defaults (not a policy document):
the bureau confirms or changes them in the admin; every change there is audited."""

from django.db import migrations

DEFAULT = "参数为可配置默认值，需经办机构确认后使用。"

RULES = [
    {
        "code": "DUP_SETTLEMENT",
        "name": "重复结算",
        "kind": "duplicate_settlement",
        "severity": "high",
        "params": {"benefit_types": ["outpatient", "chronic", "inpatient", "pharmacy"]},
        "description": "同一参保人在同一机构、同一就诊日期、同一医疗总费用，以不同结算单号结算两次以上（首笔之外的均为疑点）。",
    },
    {
        "code": "SPLIT_ADMISSION",
        "name": "分解住院",
        "kind": "split_admission",
        "severity": "medium",
        "params": {"days": 15, "same_institution": True},
        "description": "出院后 days 天内再次入院（same_institution 为真时限同一机构）。",
    },
    {
        "code": "CONCURRENT_INPATIENT",
        "name": "跨机构同时住院",
        "kind": "concurrent_inpatient",
        "severity": "high",
        "params": {},
        "description": "同一参保人在不同机构的住院期间相互重叠（出院当日转院不计）。",
    },
    {
        "code": "AFTER_END_OR_DEATH",
        "name": "结算于参保终止或死亡之后（冒名就医）",
        "kind": "after_end_or_death",
        "severity": "high",
        "params": {},
        "description": "就诊日期晚于参保人死亡日期，或不在该参保人任何参保登记的起止日期内。",
    },
    {
        "code": "CASH_OUT",
        "name": "门诊套现（高频药店购药）",
        "kind": "outpatient_cash_out",
        "severity": "medium",
        "params": {"window_days": 30, "min_purchases": 8, "benefit_types": ["pharmacy"]},
        "description": "个人账户支付的药店购药，任意连续 window_days 天内达到 min_purchases 次，窗口内各笔均为疑点。",
    },
    {
        "code": "OVER_CAP",
        "name": "超限额",
        "kind": "over_cap",
        "severity": "high",
        "params": {"benefit_types": ["outpatient", "chronic", "inpatient", "pharmacy"]},
        "description": "同一参保人同一年度同一待遇类型的统筹基金累计支付超过适用待遇清单的年度支付限额。",
    },
    {
        "code": "GENDER_AGE",
        "name": "限性别/限年龄",
        "kind": "gender_age",
        "severity": "medium",
        "params": {
            "female_only": ["O", "N70-N98", "C51-C58"],
            "male_only": ["N40-N51", "C60-C63"],
            "child_only_prefixes": {"P": 1},
        },
        "description": "主要诊断编码（ICD-10）与参保人性别或就诊时年龄不符：female_only/male_only 为编码前缀"
        "或类目区间；child_only_prefixes 为编码前缀 → 年龄上限（周岁，不含）。",
    },
]


def seed(apps, schema_editor):
    FraudRule = apps.get_model("audit", "FraudRule")
    for rule in RULES:
        values = dict(rule)
        code = values.pop("code")
        values["description"] = f"{values['description']}{DEFAULT}"
        FraudRule.objects.get_or_create(code=code, defaults=values)


def unseed(apps, schema_editor):
    FraudRule = apps.get_model("audit", "FraudRule")
    Suspicion = apps.get_model("audit", "Suspicion")
    used = Suspicion.objects.values("rule_id")
    FraudRule.objects.filter(code__in=[r["code"] for r in RULES]).exclude(pk__in=used).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_initial")]

    operations = [migrations.RunPython(seed, unseed)]
