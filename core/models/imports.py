from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import TimeStampedModel
from .reference import District


class ImportBatch(TimeStampedModel):
    """批量导入: one uploaded list, validated (dry run), then confirmed and imported."""

    class Kind(models.TextChoices):
        ENROLLEES = "enrollees", _("参保人员名单")
        PAYMENTS = "payments", _("缴费记录")
        AID_RECIPIENTS = "aid_recipients", _("医疗救助对象名单")

    class Mode(models.TextChoices):
        ATOMIC = "atomic", _("整批导入：有任何错误则全部不导入")
        SKIP_INVALID = "skip_invalid", _("逐行导入：错误行拒绝，其余导入")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        VALIDATING = "validating", _("校验中")
        VALIDATED = "validated", _("待确认")
        IMPORTING = "importing", _("导入中")
        IMPORTED = "imported", _("已导入")
        REJECTED = "rejected", _("已拒绝")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    # The only moves a batch may make; anything else is a bug or a double click.
    TRANSITIONS = {
        Status.UPLOADED: {Status.VALIDATING, Status.CANCELLED},
        # Payment files are checked and applied in one step, so they may also end straight away.
        # A worker that died mid-way may run the same step again from the start.
        Status.VALIDATING: {Status.VALIDATING, Status.VALIDATED, Status.FAILED, Status.IMPORTED, Status.REJECTED},
        Status.VALIDATED: {Status.IMPORTING, Status.CANCELLED, Status.REJECTED},
        # Back to the preview when the apply's re-check finds rows that changed since (整批 mode).
        Status.IMPORTING: {Status.IMPORTED, Status.FAILED, Status.VALIDATED},
        Status.FAILED: {Status.VALIDATING},
        Status.IMPORTED: set(),
        Status.REJECTED: set(),
        Status.CANCELLED: set(),
    }

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.ENROLLEES)
    mode = models.CharField(_("导入方式"), max_length=12, choices=Mode.choices, default=Mode.ATOMIC)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    district = models.ForeignKey(
        District, verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    effective_date = models.DateField(_("参保开始日期"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        "core.User", verbose_name=_("上传人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        "core.User", verbose_name=_("确认人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    job_run = models.ForeignKey(
        "core.JobRun", verbose_name=_("当前任务"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total_rows = models.IntegerField(_("总行数"), default=0)
    valid_rows = models.IntegerField(_("有效行数"), default=0)
    error_rows = models.IntegerField(_("错误行数"), default=0)
    counts = models.JSONField(_("导入结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("批量导入")
        verbose_name_plural = _("批量导入")
        indexes = [models.Index(fields=["district", "-id"], name="importbatch_district_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"


class ImportRowError(models.Model):
    """One reason one row was refused, in Chinese, with its row number and column."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.IntegerField(_("行号"))
    field = models.CharField(_("列"), max_length=20, blank=True)
    value = models.CharField(_("值"), max_length=100, blank=True)
    message = models.CharField(_("原因"), max_length=200)

    class Meta:
        verbose_name = _("导入错误")
        verbose_name_plural = _("导入错误")
        indexes = [models.Index(fields=["batch", "row_number"], name="importrowerror_batch_idx")]

    def __str__(self) -> str:
        return f"第{self.row_number}行 {self.field}: {self.message}"


class ImportKey(models.Model):
    """The key of one checked row of a batch being imported, staged for the duplicate-in-file check.

    Row files (payments, aid recipients) are applied chunk by chunk, so the keys of earlier chunks must
    outlive each chunk's transaction; they are deleted when the batch finishes or is cancelled.
    UNLOGGED on PostgreSQL (see migration) and without foreign keys, like the enrollee staging rows:
    rebuilt from the file on a re-run, so crash safety would buy nothing.
    """

    batch_id = models.BigIntegerField()
    row_number = models.IntegerField()
    key = models.TextField()

    class Meta:
        indexes = [
            # Earlier rows with a key: the window over one key's rows reads this index alone.
            models.Index(fields=["batch_id", "key", "row_number"], name="importkey_batch_key_idx"),
            # The keys of the chunk just staged (rows from its first row number on).
            models.Index(fields=["batch_id", "row_number"], name="importkey_batch_row_idx"),
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} row {self.row_number}"
