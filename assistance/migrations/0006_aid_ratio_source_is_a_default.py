"""The 75% aid ratio is Chengdu's (004), not a Chongqing rule: cite it as a configurable default (issue 15, finding 4).

Fresh databases get the corrected text from 0003 itself; this migration corrects databases that ran the old
text. Reverse: puts the old text back."""

from django.db import migrations

OLD = "成医保发〔2021〕21号（救助比例不低于75%）"
NEW = "救助比例75%为可配置默认值（参考成都市004、成医保发〔2021〕21号，非本市规定）"


def forward(apps, schema_editor):
    Model = apps.get_model("assistance", "aidpolicy")
    for row in Model.objects.filter(source__contains=OLD):
        row.source = row.source.replace(OLD, NEW)
        row.save(update_fields=["source"])


def reverse(apps, schema_editor):
    Model = apps.get_model("assistance", "aidpolicy")
    for row in Model.objects.filter(source__contains=NEW):
        row.source = row.source.replace(NEW, OLD)
        row.save(update_fields=["source"])


class Migration(migrations.Migration):
    dependencies = [("assistance", "0005_aid_enrollment_worklist")]
    operations = [migrations.RunPython(forward, reverse)]
