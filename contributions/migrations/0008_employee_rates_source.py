"""Employee contribution rates were seeded with an empty source; say what they are: configurable defaults
(the seeds give no employee rates). Fresh databases get the text from 0003 itself. Reverse: empty again."""

from django.db import migrations

NEW = "可配置默认值（种子文件未规定职工费率，待经办机构确认）"


def forward(apps, schema_editor):
    Standard = apps.get_model("contributions", "ContributionStandard")
    Standard.objects.filter(scheme="employee", source="").update(source=NEW)


def reverse(apps, schema_editor):
    Standard = apps.get_model("contributions", "ContributionStandard")
    Standard.objects.filter(scheme="employee", source=NEW).update(source="")


class Migration(migrations.Migration):
    dependencies = [("contributions", "0007_seed_coverage_window_2023")]
    operations = [migrations.RunPython(forward, reverse)]
