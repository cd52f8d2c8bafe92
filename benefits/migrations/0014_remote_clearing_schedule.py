"""Generate the previous month's 异地就医 clearing statements on the 5th at 02:00 (editable in the admin)."""

import json

from django.db import migrations

TASK_NAME = "每月异地就医清算单生成 monthly remote care clearing"


def forward(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="2", day_of_week="*", day_of_month="5", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "core.tasks.scheduled_job",
            "crontab": schedule,
            # No month: the job clears the month before the day it runs.
            "args": json.dumps(["remote_clearing"]),
            "kwargs": json.dumps({"params": {}}),
        },
    )


def reverse(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("benefits", "0013_remote_care"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(forward, reverse)]
