"""Fund supervision (基金监管): fraud rules as data, their hits, inspections and credit ratings.

Imported by audit/models.py so Django finds these models in the audit app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class FraudRule(TimeStampedModel):
    """智能监控规则: one rule of a fixed kind, with its parameters as data (e.g. the split-admission days)."""

    class Kind(models.TextChoices):
        DUPLICATE_SETTLEMENT = "duplicate_settlement", _("重复结算")
        SPLIT_ADMISSION = "split_admission", _("分解住院")
        CONCURRENT_INPATIENT = "concurrent_inpatient", _("跨机构同时住院")
        AFTER_END_OR_DEATH = "after_end_or_death", _("结算于参保终止或死亡之后（冒名就医）")
        OUTPATIENT_CASH_OUT = "outpatient_cash_out", _("门诊套现")
        OVER_CAP = "over_cap", _("超限额")
        GENDER_AGE = "gender_age", _("限性别/限年龄")
        REMOTE_DIRECT_AND_MANUAL = "remote_direct_and_manual", _("异地直接结算与零星报销重复")
        HOME_AND_REMOTE_OVERLAP = "home_and_remote_overlap", _("本地与异地就医日期重叠")

    class Severity(models.TextChoices):
        HIGH = "high", _("高")
        MEDIUM = "medium", _("中")
        LOW = "low", _("低")

    code = models.CharField(_("规则编码"), max_length=30, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    kind = models.CharField(_("规则类型"), max_length=30, choices=Kind.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    severity = models.CharField(_("风险等级"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    active = models.BooleanField(_("启用"), default=True)
    description = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("智能监控规则")
        verbose_name_plural = _("智能监控规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Suspicion(TimeStampedModel):
    """疑点: one rule hitting one settlement, once. Staff confirm or dismiss it with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("待核查")
        CONFIRMED = "confirmed", _("确认违规")
        DISMISSED = "dismissed", _("排除")

    rule = models.ForeignKey(FraudRule, verbose_name=_("规则"), on_delete=models.PROTECT, related_name="suspicions")
    settlement = models.ForeignKey(
        "benefits.Settlement", verbose_name=_("结算"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The person, institution and district are the settlement's, copied by the scan: the settlement's own keys
    # hold them, so the database checks only the suspicion's key to the settlement. Checking all three again
    # cost a scan that found 36,000 hits 1.6 s at COMMIT (row-by-row deferred checks). PROTECT still holds in
    # the ORM.
    person = models.ForeignKey(
        "enrollment.Person",
        verbose_name=_("参保人"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    institution = models.ForeignKey(
        "benefits.Institution",
        verbose_name=_("定点医药机构"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    district = models.ForeignKey(
        "core.District",
        verbose_name=_("参保区县"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    service_date = models.DateField(_("就诊日期"))
    amount = models.DecimalField(_("涉及基金金额"), **MONEY)
    detail = models.CharField(_("疑点说明"), max_length=500)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    review_reason = models.CharField(_("核查意见"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        "core.User", verbose_name=_("核查人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    scan_run = models.ForeignKey(
        "core.JobRun", verbose_name=_("筛查任务"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("疑点")
        verbose_name_plural = _("疑点")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["district", "status", "-id"], name="suspicion_queue_idx"),
            models.Index(fields=["person"], name="suspicion_person_idx"),
        ]
        # A rule hits a settlement once, however often the scan runs.
        constraints = [models.UniqueConstraint(fields=["rule", "settlement"], name="one_suspicion_per_rule_settlement")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.settlement_id} {self.status}"


class Inspection(TimeStampedModel):
    """监督检查 of an institution, its findings and recovered money. Three kinds, from 002: "持续强化日常监管
    全覆盖，组织开展市级飞检" and "开展医保基金专项检查"; only an unannounced one is a 飞行检查 (飞检)."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("日常检查")
        SPECIAL = "special", _("专项检查")
        FLIGHT = "flight", _("飞行检查")

    class Status(models.TextChoices):
        OPEN = "open", _("检查中")
        CLOSED = "closed", _("已结案")

    institution = models.ForeignKey(
        "benefits.Institution", verbose_name=_("定点医药机构"), on_delete=models.PROTECT, related_name="inspections"
    )
    district = models.ForeignKey("core.District", verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("检查类型"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    # Set when the case was opened by a credit-rating consequence (专项检查 of a D-rated institution).
    credit_rating = models.ForeignKey(
        "CreditRating", verbose_name=_("信用评价"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="inspections",
    )  # fmt: skip
    started_on = models.DateField(_("检查日期"))
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    inspectors = models.CharField(_("检查人员"), max_length=200)
    findings = models.TextField(_("检查发现"), blank=True)
    recovered_amount = models.DecimalField(_("追回金额"), default=0, **MONEY)
    penalty_amount = models.DecimalField(_("罚款金额"), default=0, **MONEY)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    suspicions = models.ManyToManyField(Suspicion, verbose_name=_("关联疑点"), blank=True, related_name="inspections")
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("监督检查")
        verbose_name_plural = _("监督检查")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recovered_amount__gte=0, penalty_amount__gte=0), name="inspection_amounts_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True) | models.Q(closed_on__gte=models.F("started_on")),
                name="inspection_closed_after_start",
            ),
            # A rating opens at most one case; re-running the rating job finds it instead of opening another.
            models.UniqueConstraint(fields=["credit_rating"], name="one_inspection_per_credit_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.started_on}"


class CreditRating(TimeStampedModel):
    """信用评价 of a designated institution for a year: score, grade and what it was based on."""

    class Grade(models.TextChoices):
        A = "A", _("A级（守信）")
        B = "B", _("B级（基本守信）")
        C = "C", _("C级（失信）")
        D = "D", _("D级（严重失信）")

    institution = models.ForeignKey(
        "benefits.Institution", verbose_name=_("定点医药机构"), on_delete=models.PROTECT, related_name="credit_ratings"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    score = models.PositiveSmallIntegerField(_("得分"))
    grade = models.CharField(_("等级"), max_length=1, choices=Grade.choices)
    basis = models.JSONField(_("评分依据"), default=dict)

    class Meta:
        verbose_name = _("信用评价")
        verbose_name_plural = _("信用评价")
        ordering = ["-year", "institution_id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "year"], name="one_credit_rating_per_year"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="credit_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.year} {self.grade}"


class CreditConsequence(TimeStampedModel):
    """信用评价结果运用: what a grade leads to, as data a municipal admin edits. 004 (Chengdu) asks to link
    "信用评价结果、综合绩效考核结果与预算管理、检查稽核、定点协议管理"; 002 only "研究建立医保信用监管制度".
    Neither names a measure per grade, so the seeded rules are 可配置默认值."""

    class Action(models.TextChoices):
        INSPECTION_LIST = "inspection_list", _("列入重点检查名单")
        SPECIAL_INSPECTION = "special_inspection", _("立案专项检查")
        SETTLEMENT_REVIEW = "settlement_review", _("暂缓结算并逐笔审核")

    grade = models.CharField(_("等级"), max_length=1, choices=CreditRating.Grade.choices)
    action = models.CharField(_("措施"), max_length=20, choices=Action.choices)
    active = models.BooleanField(_("启用"), default=True)
    source = models.CharField(_("依据"), max_length=200)

    class Meta:
        verbose_name = _("信用评价结果运用")
        verbose_name_plural = _("信用评价结果运用")
        ordering = ["grade", "action"]
        constraints = [models.UniqueConstraint(fields=["grade", "action"], name="one_credit_consequence")]

    def __str__(self) -> str:
        return f"{self.grade} {self.get_action_display()}"


from .fund_models import FundBudget, FundRiskRule  # noqa: E402  (the app's models live in two modules)

__all__ = ["CreditConsequence", "CreditRating", "FraudRule", "FundBudget", "FundRiskRule", "Inspection", "Suspicion"]
