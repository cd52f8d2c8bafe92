"""The funds and their charts of accounts (会计科目), as the bureau reports them.

Loaded into the database by `ledger_chart_sync` (a data migration calls it; it is idempotent and only
adds or renames, never deletes, so entries keep their accounts). Codes are what the postings name.
"""

from django.apps import apps as django_apps
from django.db import transaction

# Fund codes (glossary: Fund).
EMPLOYEE_POOLED = "employee_pooled"
EMPLOYEE_ACCOUNTS = "employee_accounts"
RESIDENT_POOLED = "resident_pooled"
RESIDENT_CRITICAL = "resident_critical"
EMPLOYEE_SUPPLEMENTARY = "employee_supplementary"
MEDICAL_AID = "medical_aid"

BANK = "bank"
OPENING = "opening_balance"

FUNDS = [
    # code, name, scheme, how it is financed
    (EMPLOYEE_POOLED, "职工基本医疗保险统筹基金", "employee", "单位和个人缴费；在职人员个人账户从缴费中划入"),
    (EMPLOYEE_ACCOUNTS, "职工个人账户", "employee", "统筹基金按月划入；退休人员按定额划入（001）"),
    (RESIDENT_POOLED, "城乡居民基本医疗保险基金", "resident", "个人缴费、财政补助、医疗救助资助参保"),
    (RESIDENT_CRITICAL, "居民大病保险", "resident", "从城乡居民基本医疗保险基金按参保人数划拨（单独筹资）"),
    (EMPLOYEE_SUPPLEMENTARY, "职工大额医疗互助", "employee", "大额医疗互助保险缴费（单独筹资）"),
    (MEDICAL_AID, "医疗救助资金", "", "财政安排的医疗救助资金"),
]  # fmt: skip

_ALL = [(BANK, "银行存款", "asset", False), (OPENING, "上年结转结余", "equity", True),
        ("interest", "利息收入", "income", True), ("other_income", "其他收入", "income", True),
        ("other_expense", "其他支出", "expense", True)]  # fmt: skip
_POOLED = [
    ("pooled_outpatient", "普通门诊统筹支出", "expense", False),
    ("pooled_chronic", "门诊慢特病支出", "expense", False),
    ("pooled_inpatient", "住院支出", "expense", False),
    ("pooled_pharmacy", "定点药店购药支出", "expense", False),
]
_CONTRIBUTIONS = [
    ("individual_contribution", "个人缴费收入", "income", False),
    ("employer_contribution", "单位缴费收入", "income", False),
]
# 异地就医清算 (issue 16): our insured's direct settlements elsewhere are owed to that area until the month's
# clearing is paid; what our institutions advanced for patients insured elsewhere is owed to us.
REMOTE_PAYABLE = "remote_payable"
REMOTE_RECEIVABLE = "remote_receivable"
_REMOTE = [
    (REMOTE_PAYABLE, "异地就医清算应付款", "liability", False),
    (REMOTE_RECEIVABLE, "异地就医清算应收款（代垫外地参保人员）", "asset", False),
]
CHART = {
    EMPLOYEE_POOLED: _CONTRIBUTIONS + _POOLED + [
        ("account_credit_active", "划入个人账户（在职，来源于缴费）", "expense", False),
        ("account_credit_retiree", "划入个人账户（退休，统筹基金定额划入）", "expense", False),
    ] + _REMOTE,
    EMPLOYEE_ACCOUNTS: [
        ("account_credit_income", "个人账户划入收入", "income", False),
        ("account_spending_medical", "个人账户支付医药费用", "expense", False),
        ("account_spending_contribution", "个人账户代缴保费", "expense", False),
    ],
    RESIDENT_POOLED: _CONTRIBUTIONS[:1] + [
        ("fiscal_subsidy", "财政补助收入", "income", False),
        ("aid_subsidy_income", "医疗救助资助参保收入", "income", False),
    ] + _POOLED + [("critical_financing_expense", "划拨大病保险资金", "expense", False)] + _REMOTE,
    RESIDENT_CRITICAL: [
        ("critical_financing_income", "大病保险筹资收入", "income", False),
        ("critical_payment", "大病保险支出", "expense", False),
    ] + _REMOTE,
    EMPLOYEE_SUPPLEMENTARY: [
        ("supplementary_contribution", "大额医疗互助缴费收入", "income", False),
        ("critical_payment", "大额医疗互助支出", "expense", False),
    ] + _REMOTE,
    MEDICAL_AID: [
        ("fiscal_subsidy", "财政补助收入", "income", True),
        ("aid_subsidy_expense", "资助参保支出", "expense", False),
        ("aid_payment", "医疗救助支出", "expense", False),
    ] + _REMOTE,
}  # fmt: skip


def fund_of_scheme(scheme: str) -> str:
    """The pooled fund that pays a scheme's basic benefits and receives its contributions."""
    return EMPLOYEE_POOLED if scheme == "employee" else RESIDENT_POOLED


def critical_fund_of_scheme(scheme: str) -> str:
    """Tier 2: 居民大病保险 for residents, 职工大额医疗互助 for employees (separately financed)."""
    return EMPLOYEE_SUPPLEMENTARY if scheme == "employee" else RESIDENT_CRITICAL


def ledger_chart_sync(apps=None) -> int:
    """Create or rename the funds and accounts of `FUNDS` and `CHART`; returns how many rows were added."""
    apps = apps or django_apps  # a data migration passes its historical registry
    Fund = apps.get_model("core", "Fund")
    LedgerAccount = apps.get_model("core", "LedgerAccount")
    added = 0
    with transaction.atomic():
        for position, (code, name, scheme, note) in enumerate(FUNDS):
            fund, created = Fund.objects.update_or_create(
                code=code, defaults={"name": name, "scheme": scheme, "note": note, "position": position}
            )
            added += created
            for n, (account, label, kind, manual) in enumerate(_ALL[:2] + CHART[code] + _ALL[2:]):
                _, created = LedgerAccount.objects.update_or_create(
                    fund=fund,
                    code=account,
                    defaults={"name": label, "kind": kind, "manual": manual, "position": n},
                )
                added += created
    return added
