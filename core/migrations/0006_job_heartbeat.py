"""Job runs keep a heartbeat; a beat entry reaps runs whose worker died (editable in the admin)."""

from django.db import migrations, models

TASK_NAME = "回收中断的批处理 reap stale job runs"


def forward(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME, defaults={"task": "core.tasks.reap_stale_jobs", "interval": every_minute}
    )


def reverse(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_audit_chain"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="jobrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="最后心跳"),
        ),
        migrations.AddField(
            model_name="jobrun",
            name="attempt",
            field=models.PositiveIntegerField(default=1, verbose_name="第几次执行"),
        ),
        migrations.AddIndex(
            model_name="jobrun",
            index=models.Index(fields=["status", "heartbeat_at"], name="jobrun_status_heartbeat_idx"),
        ),
        migrations.RunPython(forward, reverse),
    ]
