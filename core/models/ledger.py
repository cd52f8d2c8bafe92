"""The fund books (基金分别建账、分账核算): funds as data, and a double-entry journal.

Every journal entry is a header (`JournalEntry`: what caused it, for which coverage year, on which
accounting date) with two or more lines (`JournalLine`: fund, line of the chart, district, signed
amount; debit positive, credit negative). The lines of one entry sum to zero within each fund and
district: each fund's book balances by itself, and so does each district's share of it.

The database enforces that, not only Python: on PostgreSQL a constraint trigger, deferred to commit,
refuses a transaction that leaves an entry unbalanced; on every database other triggers refuse an
UPDATE or DELETE of an entry or a line (a correction is a reversing entry). Why our own tables
rather than django-hordak: docs/fund-books.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2}


class Fund(models.Model):
    """One fund with its own book. The city is the pooling area; the district is a dimension of every line."""

    code = models.CharField(_("基金代码"), max_length=24, unique=True)
    name = models.CharField(_("基金名称"), max_length=40)
    scheme = models.CharField(_("险种"), max_length=10, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    note = models.CharField(_("筹资说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("基金")
        verbose_name_plural = _("基金")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class LedgerAccount(models.Model):
    """会计科目: one line of a fund's chart (an asset, the opening balance, an income or an expense line)."""

    class Kind(models.TextChoices):
        ASSET = "asset", _("资产")
        LIABILITY = "liability", _("负债")
        EQUITY = "equity", _("基金结余")
        INCOME = "income", _("收入")
        EXPENSE = "expense", _("支出")

    fund = models.ForeignKey(Fund, verbose_name=_("基金"), on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(_("科目代码"), max_length=32)
    name = models.CharField(_("科目名称"), max_length=60)
    kind = models.CharField(_("科目类别"), max_length=10, choices=Kind.choices)
    manual = models.BooleanField(_("可手工记账"), default=False)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("会计科目")
        verbose_name_plural = _("会计科目")
        ordering = ["fund", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["fund", "code"], name="one_account_code_per_fund")]

    def __str__(self) -> str:
        return f"{self.fund.name} {self.name}"


class JournalEntry(models.Model):
    """A balanced entry. `source` names what caused it; `source_id` is the record for a single event
    (a payment, a settlement, a reversal); a batch's summary entry has none and names its job run."""

    class Source(models.TextChoices):
        BILL = "bill", _("缴费单（资助参保）")
        PAYMENT = "payment", _("缴费")
        FISCAL_SUBSIDY = "fiscal_subsidy", _("财政补助")
        SETTLEMENT = "settlement", _("医保结算")
        REVERSAL = "reversal", _("结算冲正")
        ACCOUNT_CREDIT = "account_credit", _("个人账户划入")
        ACCOUNT_SPENDING = "account_spending", _("个人账户支付")
        AID_APPLICATION = "aid_application", _("依申请救助支付")
        REMOTE_INBOUND = "remote_inbound", _("异地就医代垫")
        REMOTE_INBOUND_REVERSAL = "remote_inbound_rev", _("异地就医代垫冲正")
        CLEARING = "clearing", _("异地就医清算")
        MANUAL = "manual", _("手工记账")

    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    source_id = models.BigIntegerField(_("来源记录"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("所属年度"))
    accounting_date = models.DateField(_("记账日期"))
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    reverses = models.ForeignKey(
        "self", verbose_name=_("冲销分录"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    job_run = models.ForeignKey(
        "core.JobRun", verbose_name=_("批处理"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        "core.User", verbose_name=_("记账人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["-id"]
        constraints = [
            # A single event posts once: a retry of the same payment or settlement cannot post it twice.
            models.UniqueConstraint(
                fields=["source", "source_id"], condition=models.Q(source_id__isnull=False), name="one_entry_per_event"
            ),
            models.CheckConstraint(
                condition=~models.Q(source="manual") | ~models.Q(memo=""), name="manual_entry_has_reason"
            ),
            # An entry is reversed once (a settlement's reversal, or the 冲销 of a manual entry).
            models.UniqueConstraint(
                fields=["reverses"], condition=models.Q(reverses__isnull=False), name="one_reversal_per_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.year} {self.accounting_date}"


class JournalLine(models.Model):
    """One line of an entry. The entry's source, year and date are repeated here so that every report
    is one GROUP BY over this table (joined to the small chart); lines are never updated."""

    entry = models.ForeignKey(JournalEntry, verbose_name=_("记账凭证"), on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(
        LedgerAccount, verbose_name=_("会计科目"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    district = models.ForeignKey(
        "core.District",
        verbose_name=_("区县"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    amount = models.DecimalField(_("金额（借正贷负）"), **MONEY)
    source = models.CharField(_("来源"), max_length=20, choices=JournalEntry.Source.choices)
    year = models.PositiveSmallIntegerField(_("所属年度"))
    accounting_date = models.DateField(_("记账日期"))

    class Meta:
        verbose_name = _("分录行")
        verbose_name_plural = _("分录行")
        indexes = [
            models.Index(fields=["account", "year"], name="journal_account_year_idx"),
            models.Index(fields=["source", "year", "district"], name="journal_source_idx"),
            models.Index(fields=["accounting_date"], name="journal_date_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="journal_line_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"
