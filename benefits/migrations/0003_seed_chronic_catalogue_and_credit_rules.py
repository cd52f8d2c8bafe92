"""Reference data the settlement needs on day one: the 门诊慢特病 catalogue and the 2023 account
credit rules. Both are editable by municipal admins afterwards; reversing removes exactly these rows."""

from decimal import Decimal

from django.db import migrations

SEED_SOURCE = "渝医保发〔2022〕25号（高血压、糖尿病门诊用药保障）"
DEFAULT = "可配置默认值"
CHRONIC_DISEASES = [
    ("MT001", "高血压", SEED_SOURCE),
    ("MT002", "糖尿病", SEED_SOURCE),
    ("MT003", "恶性肿瘤门诊治疗", DEFAULT),
    ("MT004", "慢性肾功能衰竭门诊透析", DEFAULT),
    ("MT005", "器官移植术后抗排异治疗", DEFAULT),
    ("MT006", "重性精神疾病", DEFAULT),
    ("MT007", "冠心病", DEFAULT),
    ("MT008", "慢性阻塞性肺疾病", DEFAULT),
]
RATE_SOURCE = "渝府办发〔2022〕16号（在职职工按本人缴费基数2%计入）"
CREDIT_RULES = [
    # year, category, rate, fixed monthly amount, source
    (2023, "active", Decimal("0.0200"), Decimal("0.00"), RATE_SOURCE),
    (2023, "flexible", Decimal("0.0200"), Decimal("0.00"), "比照在职职工；可配置默认值"),
    # 2% of the average basic pension of the reform year; the seeds do not give the pension figure.
    (
        2023,
        "retired",
        Decimal("0.0000"),
        Decimal("70.00"),
        "渝府办发〔2022〕16号（平均基本养老金2%定额）；金额为可配置默认值",
    ),
]


def seed(apps, schema_editor):
    disease = apps.get_model("benefits", "ChronicDisease")
    rule = apps.get_model("benefits", "AccountCreditRule")
    for code, name, source in CHRONIC_DISEASES:
        disease.objects.get_or_create(code=code, defaults={"name": name, "source": source})
    for year, category, rate, fixed, source in CREDIT_RULES:
        rule.objects.get_or_create(
            year=year, category=category, defaults={"rate": rate, "fixed_amount": fixed, "source": source}
        )


def unseed(apps, schema_editor):
    apps.get_model("benefits", "ChronicDisease").objects.filter(code__in=[c for c, _, _ in CHRONIC_DISEASES]).delete()
    apps.get_model("benefits", "AccountCreditRule").objects.filter(year=2023).delete()


class Migration(migrations.Migration):
    dependencies = [("benefits", "0002_initial")]
    operations = [migrations.RunPython(seed, unseed)]
