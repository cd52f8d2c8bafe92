"""The 2023 contribution standards from 渝医保发〔2022〕25号."""

from decimal import Decimal

from django.db import migrations

SOURCE = "渝医保发〔2022〕25号"
DEFAULT = "可配置默认值（种子文件未规定职工费率，待经办机构确认）"

# (scheme, category, tier, individual_amount, fiscal_subsidy, employer_rate, individual_rate, source)
STANDARDS_2023 = [
    ("resident", "adult", 1, "350.00", "610.00", "0", "0", SOURCE),
    ("resident", "adult", 2, "725.00", "610.00", "0", "0", SOURCE),
    ("resident", "minor", 1, "350.00", "610.00", "0", "0", SOURCE),
    ("resident", "minor", 2, "725.00", "610.00", "0", "0", SOURCE),
    ("resident", "student", 1, "320.00", "610.00", "0", "0", SOURCE),
    ("resident", "student", 2, "695.00", "610.00", "0", "0", SOURCE),
    # Employee rates are not in the seeds: configurable defaults until the bureau confirms them.
    ("employee", "active", None, "0", "0", "0.0800", "0.0200", DEFAULT),
    ("employee", "flexible", None, "0", "0", "0.0800", "0.0200", DEFAULT),
    ("employee", "retired", None, "0", "0", "0", "0", DEFAULT),
]


def seed(apps, schema_editor):
    Standard = apps.get_model("contributions", "ContributionStandard")
    for scheme, category, tier, amount, subsidy, er_rate, in_rate, source in STANDARDS_2023:
        Standard.objects.update_or_create(
            year=2023,
            scheme=scheme,
            category=category,
            tier=tier,
            defaults={
                "individual_amount": Decimal(amount),
                "fiscal_subsidy": Decimal(subsidy),
                "employer_rate": Decimal(er_rate),
                "individual_rate": Decimal(in_rate),
                "source": source,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("contributions", "ContributionStandard").objects.filter(year=2023).delete()


class Migration(migrations.Migration):
    dependencies = [("contributions", "0002_initial")]
    operations = [migrations.RunPython(seed, unseed)]
