"""Account entries keep no index of their own on the three optional keys (empty on the monthly credits, most of
the ledger) nor on the account (account_entry_idx leads with it): a month's credits write four indexes fewer.
Lines that have a beneficiary or a clerk are found through partial indexes; settlements through the unique
(settlement, kind) one.

Only the indexes change: the AlterFields are state only, because Django would otherwise drop each foreign key
and add it back, validating it over the whole ledger under lock. Reversible: the reverse builds the four
indexes again under their old names."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "benefits_accountentry"
OLD = {
    "benefits_accountentry_account_id_46aa2600": "account_id",
    "benefits_accountentry_beneficiary_id_91da28f7": "beneficiary_id",
    "benefits_accountentry_created_by_id_4e1e1755": "created_by_id",
    "benefits_accountentry_settlement_id_2056bd95": "settlement_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("benefits", "0016_list_page_indexes"),
        ("enrollment", "0005_list_page_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="accountentry",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="benefits.personalaccount",
                        verbose_name="个人账户",
                    ),
                ),
                migrations.AlterField(
                    model_name="accountentry",
                    name="beneficiary",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="enrollment.person",
                        verbose_name="使用人",
                    ),
                ),
                migrations.AlterField(
                    model_name="accountentry",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="经办人",
                    ),
                ),
                migrations.AlterField(
                    model_name="accountentry",
                    name="settlement",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="benefits.settlement",
                        verbose_name="结算",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[f"DROP INDEX IF EXISTS {name}" for name in OLD],
                    reverse_sql=[f"CREATE INDEX {name} ON {TABLE} ({column})" for name, column in OLD.items()],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="accountentry",
            index=models.Index(
                condition=models.Q(("beneficiary__isnull", False)), fields=["beneficiary"], name="entry_beneficiary_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="accountentry",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)), fields=["created_by"], name="entry_created_by_idx"
            ),
        ),
    ]
