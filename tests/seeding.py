"""The reference rows data migrations seed, for tests that run after a transactional test emptied every
table: one list, in migration order, each module's `seed(apps, schema_editor)` run again."""

import importlib

from django.apps import apps

SEED_MIGRATIONS = [
    "contributions.migrations.0003_seed_standards_2023",
    "contributions.migrations.0007_seed_coverage_window_2023",
    "benefits.migrations.0003_seed_chronic_catalogue_and_credit_rules",
    "benefits.migrations.0008_two_diseases_not_chronic",
    "assistance.migrations.0003_seed_aid_policy_2023",
    "audit.migrations.0004_seed_fraud_rules",
    "audit.migrations.0010_default_credit_consequences",
    "audit.migrations.0012_remote_fraud_rules",
]


def reseed(modules: list[str] = SEED_MIGRATIONS) -> None:
    for module in modules:
        importlib.import_module(module).seed(apps, None)
