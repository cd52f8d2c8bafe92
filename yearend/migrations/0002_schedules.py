"""Celery-beat entries for this app's batch jobs, through core.tasks.scheduled_job (recorded JobRuns).
Admins see and edit them in /admin/ (定时任务); relative years and windows resolve when they fire."""

import json

from django.db import migrations

SCHEDULES = [
    # name, (minute, hour, day_of_month, month_of_year), kind, params
    # 集中参保期 for next year opens in autumn: the bills go out on 1 Sept.
    ("年度缴费征收 annual collection", ("0", "2", "1", "9"), "annual_collection", {"year": "next_year"}),
    ("年度结转 annual rollover", ("0", "1", "1", "1"), "annual_rollover", {"year": "previous_year"}),
]


def forward(apps, schema_editor):
    crontab = apps.get_model("django_celery_beat", "CrontabSchedule")
    task = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (minute, hour, day, month), kind, params in SCHEDULES:
        schedule, _ = crontab.objects.get_or_create(
            minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week="*",
            timezone="Asia/Shanghai",
        )  # fmt: skip
        task.objects.get_or_create(
            name=name,
            defaults={
                "task": "core.tasks.scheduled_job",
                "crontab": schedule,
                "kwargs": json.dumps({"kind": kind, "params": params}),
            },
        )


def reverse(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("yearend", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(forward, reverse)]
