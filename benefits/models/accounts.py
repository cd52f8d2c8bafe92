"""个人账户 of the employee scheme: the account, its ledger, and who may use it (家庭共济)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import District, TimeStampedModel
from enrollment.models import Category, Person

MONEY = {"max_digits": 12, "decimal_places": 2}


class AccountCreditRule(models.Model):
    """划入标准 per year and employee category: a rate of the contribution base, or a fixed amount."""

    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("人员类别"), max_length=10, choices=Category.choices)
    rate = models.DecimalField(_("划入比例"), max_digits=6, decimal_places=4, default=0)
    fixed_amount = models.DecimalField(_("定额划入（元/月）"), default=0, **MONEY)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("政策文件；空表示可配置的默认值，需经办机构确认")
    )

    class Meta:
        verbose_name = _("个人账户划入标准")
        verbose_name_plural = _("个人账户划入标准")
        constraints = [
            models.UniqueConstraint(fields=["year", "category"], name="one_credit_rule_per_year_category"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=1, fixed_amount__gte=0), name="credit_rule_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.category}"


class PersonalAccount(TimeStampedModel):
    person = models.OneToOneField(
        Person, verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="personal_account"
    )
    district = models.ForeignKey(
        District, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    balance = models.DecimalField(_("账户余额"), default=0, **MONEY)

    class Meta:
        verbose_name = _("个人账户")
        verbose_name_plural = _("个人账户")
        indexes = [models.Index(fields=["district", "-id"], name="account_district_idx")]
        # The last line of defence: no code path can take an account below zero.
        constraints = [models.CheckConstraint(condition=models.Q(balance__gte=0), name="account_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.balance}"


class AccountEntry(models.Model):
    """One line of the ledger. Credits are positive, debits negative; entries are never edited."""

    class Kind(models.TextChoices):
        CREDIT = "credit", _("划入")
        SETTLEMENT = "settlement", _("结算支付")
        REVERSAL = "reversal", _("结算冲正退回")
        PAYMENT = "payment", _("账户支付")

    class Purpose(models.TextChoices):
        MEDICAL = "medical", _("定点医药机构医疗费用")
        RESIDENT_CONTRIBUTION = "resident_contribution", _("配偶、父母、子女居民医保个人缴费")
        CRITICAL_CONTRIBUTION = "critical_contribution", _("退休人员大额医疗互助保险缴费")
        CREDIT_CONTRIBUTION = "credit_contribution", _("在职职工按缴费划入")
        CREDIT_FIXED = "credit_fixed", _("退休人员统筹基金定额划入")

    # An account's lines: account_entry_idx (account, -id) serves every lookup by account, the key's checks too.
    account = models.ForeignKey(
        PersonalAccount, verbose_name=_("个人账户"), on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    purpose = models.CharField(_("用途"), max_length=24, choices=Purpose.choices, blank=True)
    amount = models.DecimalField(_("金额"), **MONEY)
    balance_after = models.DecimalField(_("余额"), **MONEY)
    # Credits: the month credited (YYYYMM), so a re-run of the monthly batch credits nobody twice.
    period = models.PositiveIntegerField(_("划入月份"), null=True, blank=True)
    # The three optional keys are empty on the monthly credits, most of the ledger (72M lines a year at 18M
    # insured): their indexes hold only the lines that have one (one_entry_per_settlement_kind and the partial
    # indexes below), so a month's credits write three indexes fewer and the NULLs take no disk.
    settlement = models.ForeignKey(
        "benefits.Settlement", verbose_name=_("结算"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )  # fmt: skip
    beneficiary = models.ForeignKey(
        Person, verbose_name=_("使用人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )  # fmt: skip
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )  # fmt: skip

    class Meta:
        verbose_name = _("个人账户明细")
        verbose_name_plural = _("个人账户明细")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="account_entry_idx"),
            models.Index(
                fields=["beneficiary"], condition=models.Q(beneficiary__isnull=False), name="entry_beneficiary_idx"
            ),
            models.Index(
                fields=["created_by"], condition=models.Q(created_by__isnull=False), name="entry_created_by_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period"], condition=models.Q(kind="credit"), name="one_credit_per_account_month"
            ),
            models.UniqueConstraint(
                fields=["settlement", "kind"],
                condition=models.Q(settlement__isnull=False),
                name="one_entry_per_settlement_kind",
            ),
            models.CheckConstraint(condition=models.Q(balance_after__gte=0), name="entry_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class FamilyBinding(TimeStampedModel):
    """家庭共济: a family member the holder lets use the account. Only spouse, parents and children."""

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("配偶")
        PARENT = "parent", _("父母")
        CHILD = "child", _("子女")

    account = models.ForeignKey(
        PersonalAccount, verbose_name=_("个人账户"), on_delete=models.PROTECT, related_name="family"
    )
    member = models.ForeignKey(Person, verbose_name=_("共济人员"), on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("关系"), max_length=10, choices=Relation.choices)
    active = models.BooleanField(_("有效"), default=True)
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("家庭共济绑定")
        verbose_name_plural = _("家庭共济绑定")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "member"], condition=models.Q(active=True), name="one_active_family_binding"
            ),
            models.CheckConstraint(
                condition=models.Q(relation__in=["spouse", "parent", "child"]), name="family_relation_allowed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.relation} {self.member_id}"
