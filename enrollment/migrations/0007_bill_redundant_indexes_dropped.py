"""Drop the bill table's single-column person and district indexes.

The unique (person_id, coverage_year) constraint and bill_scope_idx (district_id, ...) lead with those
columns and serve every lookup the single-column indexes served; two fewer indexes to maintain per row
of the yearly batch. Only the indexes go: Django's AlterField would also drop and re-add both foreign
keys, re-checking every bill under an exclusive lock, for nothing.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "enrollment_contributionbill_district_id_c782e6b6": "district_id",
    "enrollment_contributionbill_person_id_3a638c32": "person_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0006_year_end_summary"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX IF NOT EXISTS {name} ON enrollment_contributionbill ({column})",
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="contributionbill",
                    name="district",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="enrollment.district",
                        verbose_name="区县",
                    ),
                ),
                migrations.AlterField(
                    model_name="contributionbill",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bills",
                        to="enrollment.person",
                        verbose_name="参保人",
                    ),
                ),
            ],
        ),
    ]
