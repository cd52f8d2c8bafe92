"""ImportKey: the keys of checked rows, staged for the duplicate-in-file check of every import.

UNLOGGED on PostgreSQL: no WAL for rows rebuilt from the file on a re-run (as enrollment's staging).
"""

from django.db import migrations, models


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_importkey SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_importkey SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_beat_schedule"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("batch_id", models.BigIntegerField()),
                ("row_number", models.IntegerField()),
                ("key", models.TextField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["batch_id", "key", "row_number"], name="importkey_batch_key_idx"),
                    models.Index(fields=["batch_id", "row_number"], name="importkey_batch_row_idx"),
                ],
            },
        ),
        migrations.RunPython(unlogged, logged),
    ]
