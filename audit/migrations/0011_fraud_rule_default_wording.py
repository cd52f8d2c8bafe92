"""Fraud-rule parameters say 可配置默认值, the one wording every source uses for a configurable default.

Fresh databases get the corrected text from 0004 itself; this migration corrects databases that ran the old
text. Reverse: puts the old text back."""

from django.db import migrations

OLD = "参数为可配置的默认值"
NEW = "参数为可配置默认值"


def forward(apps, schema_editor):
    Model = apps.get_model("audit", "fraudrule")
    for row in Model.objects.filter(description__contains=OLD):
        row.description = row.description.replace(OLD, NEW)
        row.save(update_fields=["description"])


def reverse(apps, schema_editor):
    Model = apps.get_model("audit", "fraudrule")
    for row in Model.objects.filter(description__contains=NEW):
        row.description = row.description.replace(NEW, OLD)
        row.save(update_fields=["description"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0010_default_credit_consequences")]
    operations = [migrations.RunPython(forward, reverse)]
