"""API tokens stored as a SHA-256 hash, with expiry and revocation (core/models/tokens.py says why).

Existing tokens of DRF's authtoken app (plaintext keys in ``authtoken_token``) are carried over
hashed, so the institutions' systems keep working, but they expire LEGACY_DAYS after this migration:
their keys sat readable in the database (and the admin), so the bureau must rotate them
(``manage.py institution_api_account <code> --rotate``) before then. The plaintext rows are deleted.
Read with SQL, not the app's model, so this still runs once ``rest_framework.authtoken`` is no longer
installed. Not written to the audit trail from here (the trail's own services do that); the count is
printed. Going back drops the hashed tokens; the plaintext ones cannot come back.

Numbered 0006: the lead orders it after the other core 0005 migrations of issue 13.
"""

import datetime as dt
import hashlib

import django.db.models.deletion
import django.utils.dateparse
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

LEGACY_DAYS = 90
PREFIX_LENGTH = 8  # core.api_tokens.PREFIX_LENGTH at the time of writing


def _aware(value):
    """authtoken's `created` as an aware time: SQLite hands raw SQL back naive (stored in UTC) or as text."""
    if isinstance(value, str):
        value = django.utils.dateparse.parse_datetime(value)
    if value is not None and django.utils.timezone.is_naive(value):
        value = django.utils.timezone.make_aware(value, dt.UTC)
    return value


def hash_plaintext_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("core", "ApiToken")
    now = django.utils.timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token ORDER BY created")
        rows = cursor.fetchall()
    seen_prefixes = set()
    carried = 0
    for key, user_id, raw_created in rows:
        created = _aware(raw_created)
        prefix = key[:PREFIX_LENGTH]
        if prefix in seen_prefixes:  # two legacy keys sharing a prefix: the later one is dropped
            continue
        seen_prefixes.add(prefix)
        ApiToken.objects.create(
            user_id=user_id,
            prefix=prefix,
            digest=hashlib.sha256(key.encode()).hexdigest(),
            created_at=min(created or now, now),
            expires_at=now + dt.timedelta(days=LEGACY_DAYS),
        )
        carried += 1
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")
    if rows:
        print(f"\n  {carried} API token(s) now stored hashed; they expire in {LEGACY_DAYS} days: rotate them.")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_job_heartbeat"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefix", models.CharField(max_length=12, unique=True, verbose_name="令牌前缀")),
                (
                    "digest",
                    models.CharField(
                        help_text="SHA-256，十六进制", max_length=64, unique=True, verbose_name="令牌摘要"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="创建时间")),
                ("expires_at", models.DateTimeField(verbose_name="有效期至")),
                ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="吊销时间")),
                ("last_used_at", models.DateTimeField(blank=True, null=True, verbose_name="最近使用")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="创建人",
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="吊销人",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="接口账号",
                    ),
                ),
            ],
            options={
                "verbose_name": "接口令牌",
                "verbose_name_plural": "接口令牌",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("expires_at__gt", models.F("created_at"))), name="apitoken_expires"
                    )
                ],
            },
        ),
        migrations.RunPython(hash_plaintext_tokens, migrations.RunPython.noop, elidable=True),
    ]
