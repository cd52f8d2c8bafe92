from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of a batch job: who started it, when, progress, counts, outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("任务类型"), max_length=40, db_index=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    started_by = models.ForeignKey(
        "core.User", verbose_name=_("发起人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "core.District", verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    total = models.BigIntegerField(_("总量"), default=0)
    done = models.BigIntegerField(_("已完成"), default=0)
    counts = models.JSONField(_("计数"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    # Written with every progress report and at least every YIBAO_JOB_HEARTBEAT_SECONDS while the run
    # executes; a running run whose heartbeat is older than YIBAO_JOB_STALE_SECONDS (and whose executor
    # holds no lock) lost its worker, and the reaper (core.jobs.job_runs_reap) fails it in words.
    heartbeat_at = models.DateTimeField(_("最后心跳"), null=True, blank=True)
    # Which queueing of the run a task message belongs to: re-queueing (重试/继续) counts it up, so a
    # message of an earlier queueing that Redis hands out again later (visibility timeout) runs nothing.
    attempt = models.PositiveIntegerField(_("第几次执行"), default=1)

    class Meta:
        verbose_name = _("批处理运行记录")
        verbose_name_plural = _("批处理运行记录")
        # The reaper's question, "running, heartbeat older than …", reads this index alone.
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="jobrun_status_heartbeat_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}
