"""Reconcile the fund books every night (editable in the admin): a difference fails the run, in red."""

import json

from django.db import migrations

TASK_NAME = "夜间基金账簿对账 nightly fund books reconciliation"


def forward(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "core.tasks.scheduled_job",
            "crontab": schedule,
            "args": json.dumps(["fund_books_reconcile"]),
            "kwargs": json.dumps({"params": {"year": "current_year"}}),
        },
    )


def reverse(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_fund_books_integrity"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(forward, reverse)]
