"""The 2023 resident enrollment window from 渝医保发〔2022〕25号, and a labelled default waiting period."""

import datetime as dt

from django.db import migrations

# "集中参保期为文件下发之日起至2022年12月31日"; the notice is dated and issued (印发) 2022-10-25.
WINDOW_2023 = {
    "window_start": dt.date(2022, 10, 25),
    "window_end": dt.date(2022, 12, 31),
    "source": "渝医保发〔2022〕25号：集中参保期为文件下发之日起至2022年12月31日（2022年10月25日印发）",
    # The seeds give no length for the waiting period: 90 days until the bureau sets its own.
    "waiting_days": 90,
    "waiting_source": "可配置默认值：种子文件未规定待遇等待期天数",
}


def seed(apps, schema_editor):
    apps.get_model("contributions", "CoverageWindow").objects.update_or_create(year=2023, defaults=WINDOW_2023)


def unseed(apps, schema_editor):
    apps.get_model("contributions", "CoverageWindow").objects.filter(year=2023).delete()


class Migration(migrations.Migration):
    dependencies = [("contributions", "0006_coverage_window")]
    operations = [migrations.RunPython(seed, unseed)]
