"""One 普通门诊统筹 pot: designated-pharmacy purchases count against the outpatient deductible and cap.

001: "将符合条件的定点零售药店提供的用药保障服务纳入普通门诊统筹保障范围", "医保基金对不同的门诊共济保障方式不重复支付".
Forward: each year's pharmacy deductible and pooled amount move into the outpatient fields (set-based), and
the pharmacy fields become 0. A person who already used more than one pot's cap keeps what was paid; the
rest of the year then finds the shared cap used up.

Reversible: the settlements are the subledger, so going back recomputes each year's pharmacy share from the
person's pharmacy settlements still in force (pooled amount; deductible where its line was yearly) and
takes it out of the outpatient fields again.

Going back also drops the per-disease chronic lines of 0011 (without disease_code they would collide with
the line for any disease), here so that 0011's table change runs in a transaction of its own. It refuses
when a settlement was made under one of them: a settlement keeps the line it was paid under, so that
history cannot be undone by a schema step (reverse those settlements first, or stay on 0012).
"""

from collections import defaultdict
from decimal import Decimal

from django.db import migrations
from django.db.migrations.exceptions import IrreversibleError
from django.db.models import F


def merge(apps, schema_editor):
    accumulator = apps.get_model("benefits", "AnnualAccumulator")
    accumulator.objects.exclude(deductible_pharmacy=0, pooled_pharmacy=0).update(
        deductible_outpatient=F("deductible_outpatient") + F("deductible_pharmacy"),
        pooled_outpatient=F("pooled_outpatient") + F("pooled_pharmacy"),
        deductible_pharmacy=0,
        pooled_pharmacy=0,
    )


def split(apps, schema_editor):
    accumulator = apps.get_model("benefits", "AnnualAccumulator")
    settlement = apps.get_model("benefits", "Settlement")
    shares: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    rows = settlement.objects.filter(benefit_type="pharmacy", status="settled").values_list(
        "person_id", "year", "pooled_paid", "deductible_applied", "policy__deductible_per"
    )
    for person_id, year, pooled, deductible, per in rows.iterator(chunk_size=5000):
        share = shares[(person_id, year)]
        share[0] += pooled
        if per == "year":
            share[1] += deductible
    for (person_id, year), (pooled, deductible) in shares.items():
        accumulator.objects.filter(person_id=person_id, year=year).update(
            pooled_outpatient=F("pooled_outpatient") - pooled,
            deductible_outpatient=F("deductible_outpatient") - deductible,
            pooled_pharmacy=pooled,
            deductible_pharmacy=deductible,
        )


def keep_disease_lines(apps, schema_editor):
    """Forward: nothing to do; the per-disease lines come from the policy file."""


def drop_disease_lines(apps, schema_editor):
    policy = apps.get_model("benefits", "BenefitPolicy")
    settlement = apps.get_model("benefits", "Settlement")
    lines = policy.objects.exclude(disease_code="", like_inpatient=False)
    if settlement.objects.filter(policy__in=lines).exists():
        raise IrreversibleError("benefits 0012: settlements were made under per-disease chronic lines")
    lines.delete()


class Migration(migrations.Migration):
    dependencies = [("benefits", "0011_policy_pot_channels_disease_terms_claim_aid")]
    operations = [migrations.RunPython(merge, split), migrations.RunPython(keep_disease_lines, drop_disease_lines)]
