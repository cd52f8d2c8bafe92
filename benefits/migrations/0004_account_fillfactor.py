"""Room on each page of personal accounts for a new row version: the monthly credit and every
settlement rewrite the balance, and with free space PostgreSQL updates in place (HOT) without
touching the three indexes. PostgreSQL only; SQLite has no such setting."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE benefits_personalaccount SET (fillfactor = 70)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE benefits_personalaccount RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("benefits", "0003_seed_chronic_catalogue_and_credit_rules")]
    operations = [migrations.RunPython(forward, backward)]
