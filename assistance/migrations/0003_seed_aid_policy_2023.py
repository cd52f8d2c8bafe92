"""The 2023 medical-aid policy per category. From the seeds: the tilt of critical illness for 特困,
低保 and 返贫致贫 (渝医保发〔2022〕25号), classified contribution subsidies (same), and an aid ratio of
at least 75% within the yearly limit (成医保发〔2021〕21号). Every other figure is a configurable
default, marked so in `source`; municipal admins edit them in /admin/. Reversing removes these rows."""

from decimal import Decimal as D

from django.db import migrations

TILT = "渝医保发〔2022〕25号（倾斜支付、分类资助参保）；救助比例75%为可配置默认值（参考成都市004、成医保发〔2021〕21号，非本市规定）；其余为可配置默认值"
DEFAULT = "渝医保发〔2022〕25号（分类资助参保）；比例与限额为可配置默认值"
POLICY_2023 = [
    # category, subsidy ratio, tilt, aid ratio, aid deductible, yearly aid limit, source
    ("destitute", D("1.0000"), True, D("0.9000"), D("0.00"), D("100000.00"), TILT),
    ("subsistence", D("0.8000"), True, D("0.7500"), D("0.00"), D("60000.00"), TILT),
    ("relapsed_poor", D("0.8000"), True, D("0.7500"), D("0.00"), D("60000.00"), TILT),
    ("monitored", D("0.5000"), False, D("0.6000"), D("1000.00"), D("40000.00"), DEFAULT),
    ("near_subsistence", D("0.5000"), False, D("0.6000"), D("1000.00"), D("40000.00"), DEFAULT),
    ("lifted_poor", D("0.5000"), False, D("0.5000"), D("2000.00"), D("30000.00"), DEFAULT),
]


def seed(apps, schema_editor):
    policy = apps.get_model("assistance", "AidPolicy")
    for category, subsidy, tilt, ratio, deductible, limit, source in POLICY_2023:
        policy.objects.get_or_create(
            year=2023,
            category=category,
            defaults={
                "subsidy_ratio": subsidy,
                "tilt": tilt,
                "aid_ratio": ratio,
                "aid_deductible": deductible,
                "aid_annual_limit": limit,
                "source": source,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("assistance", "AidPolicy").objects.filter(year=2023).delete()


class Migration(migrations.Migration):
    dependencies = [("assistance", "0002_initial")]
    operations = [migrations.RunPython(seed, unseed)]
