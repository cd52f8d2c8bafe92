"""The default credit-rating consequences (信用评价结果运用). 004 (成医保发〔2021〕21号, Chengdu) links the
rating to "检查稽核、定点协议管理"; no seed names a measure per grade, so these rules are 可配置默认值 that
a municipal admin changes in the admin. Reverse: removes exactly these rows."""

from django.db import migrations

SOURCE = (
    "渝医保发〔2022〕25号（研究建立医保信用监管制度）；按等级的措施为可配置默认值，参照成医保发〔2021〕21号"
    "（成都：信用评价结果与检查稽核、定点协议管理相关联）"
)
RULES = [
    ("C", "inspection_list"),
    ("D", "inspection_list"),
    ("D", "special_inspection"),
    ("D", "settlement_review"),
]


def seed(apps, schema_editor):
    consequence = apps.get_model("audit", "CreditConsequence")
    for grade, action in RULES:
        consequence.objects.get_or_create(grade=grade, action=action, defaults={"source": SOURCE})


def unseed(apps, schema_editor):
    consequence = apps.get_model("audit", "CreditConsequence")
    for grade, action in RULES:
        consequence.objects.filter(grade=grade, action=action).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0009_inspection_kind_default_routine")]
    operations = [migrations.RunPython(seed, unseed)]
