"""高血压 and 糖尿病 leave the 门诊慢特病 catalogue: 渝医保发〔2022〕25号 treats them as their own outpatient
medication cover ("继续做好高血压、糖尿病门诊用药保障"). The rows stay (registrations and settlements point at
them); only their kind and source change. Reversing puts back what 0003 seeded."""

from django.db import migrations

TWO_DISEASES = ("MT001", "MT002")
SOURCE = "渝医保发〔2022〕25号：继续做好高血压、糖尿病门诊用药保障"
OLD_SOURCE = "渝医保发〔2022〕25号（高血压、糖尿病门诊用药保障）"


def seed(apps, schema_editor):
    disease = apps.get_model("benefits", "ChronicDisease")
    disease.objects.filter(code__in=TWO_DISEASES).update(kind="two_diseases", source=SOURCE)


def unseed(apps, schema_editor):
    disease = apps.get_model("benefits", "ChronicDisease")
    disease.objects.filter(code__in=TWO_DISEASES).update(kind="chronic", source=OLD_SOURCE)


class Migration(migrations.Migration):
    dependencies = [("benefits", "0007_chronic_disease_kind_and_application")]
    operations = [migrations.RunPython(seed, unseed)]
