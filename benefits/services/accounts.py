"""Writes on personal accounts (个人账户): monthly credits, family use, payments, never below zero.

渝府办发〔2022〕16号: active employees are credited 2% of their own contribution base, retirees a fixed
amount; the account pays the holder's and their spouse's, parents' and children's own share of care at
designated institutions, those relatives' resident contributions and a retiree's 大额医疗互助 premium,
and never public-health costs, fitness or wellness spending.
"""

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from contributions.models import ContributionBill
from contributions.services import payment_record
from core.chunks import id_chunks
from core.ledger import event_post, records_post
from core.models import AuditEvent, User
from core.money import to_fen
from core.plans import no_nested_loops
from core.scope import require_edit_for_scope, require_edit_in_district
from core.services import acting_user, audit_event_record, snapshot
from enrollment.models import (
    Category,
    Enrollment,
    Person,
    Scheme,
)
from enrollment.validators import InvalidValue, validate_id_number

from ..account_selectors import CREDIT_AMOUNT, credited_enrollments
from ..models import AccountCreditRule, AccountEntry, FamilyBinding, PersonalAccount

CREDIT_CHUNK = 50_000


def credit_purpose(category: str) -> str:
    """001: active employees' accounts are credited from their contributions; "退休人员个人账户原则上由统筹
    基金按定额划入" (the fund books report the two apart)."""
    if category == Category.RETIRED:
        return AccountEntry.Purpose.CREDIT_FIXED
    return AccountEntry.Purpose.CREDIT_CONTRIBUTION


FORBIDDEN_USES = {
    "public_health": "公共卫生费用",
    "fitness": "体育健身消费",
    "wellness": "养生保健消费",
    "cash": "提取现金",
}


def _person_by_id_number(id_number: str, field: str) -> Person:
    try:
        number = validate_id_number(id_number)
    except InvalidValue as exc:
        raise ValidationError({field: str(exc)}) from None
    person = Person.objects.filter(id_number=number).first()
    if person is None:
        raise ValidationError({field: "该身份证号未登记"})
    return person


def holder_death_refusal(holder: Person) -> str | None:
    """A personal account stops paying once its holder's death is recorded (the balance is settled with
    the heirs, outside the care it paid for)."""
    if holder.death_date is None:
        return None
    return f"个人账户持有人已于{holder.death_date:%Y-%m-%d}死亡，个人账户停止支付"


def account_for_use(*, patient: Person, holder_id_number: str) -> PersonalAccount | None:
    """The locked account that pays for `patient`: their own, or a family member's they are bound to.

    A named holder who has died is refused with the reason; the patient's own account, used by default,
    simply pays nothing once the patient's death is recorded (the pooled fund still settles care before it)."""
    if not holder_id_number:
        if patient.death_date is not None:
            return None
        return PersonalAccount.objects.select_for_update().filter(person=patient).first()
    holder = _person_by_id_number(holder_id_number, "account_holder_id_number")
    if refusal := holder_death_refusal(holder):
        raise ValidationError({"account_holder_id_number": refusal})
    account = PersonalAccount.objects.select_for_update().filter(person=holder).first()
    if account is None:
        raise ValidationError({"account_holder_id_number": "该人员没有职工医保个人账户"})
    if (
        holder.pk != patient.pk
        and not FamilyBinding.objects.filter(account=account, member=patient, active=True).exists()
    ):
        raise ValidationError({"account_holder_id_number": "家庭共济仅限已绑定的配偶、父母、子女使用"})
    return account


def account_open(*, person: Person) -> PersonalAccount:
    enrollment = person.enrollments.filter(status=Enrollment.Status.ACTIVE, scheme=Scheme.EMPLOYEE).first()
    if enrollment is None:
        raise ValidationError({"person": "只有职工医保参保人有个人账户"})
    account, _ = PersonalAccount.objects.get_or_create(person=person, defaults={"district_id": enrollment.district_id})
    return account


@transaction.atomic
def family_binding_create(*, actor: User | None, holder: Person, member_id_number: str, relation: str) -> FamilyBinding:
    require_edit_in_district(actor=actor, district_id=holder.district_id)
    if relation not in FamilyBinding.Relation.values:
        raise ValidationError({"relation": "家庭共济仅限配偶、父母、子女"})
    member = _person_by_id_number(member_id_number, "member_id_number")
    if member.pk == holder.pk:
        raise ValidationError({"member_id_number": "本人使用个人账户无需绑定"})
    account = PersonalAccount.objects.select_for_update().filter(person=holder).first() or account_open(person=holder)
    if FamilyBinding.objects.filter(account=account, member=member, active=True).exists():
        raise ValidationError({"member_id_number": "该人员已绑定"})
    binding = FamilyBinding.objects.create(
        account=account, member=member, relation=relation, created_by=acting_user(actor)
    )
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=binding,
        object_repr=f"家庭共济 {holder.masked_id_number} → {member.masked_id_number}",
        district_id=holder.district_id,
        new_values={"relation": relation, "member": member.masked_id_number},
    )
    return binding


@transaction.atomic
def family_binding_end(*, actor: User | None, binding: FamilyBinding) -> FamilyBinding:
    require_edit_in_district(actor=actor, district_id=binding.account.district_id)
    binding = FamilyBinding.objects.select_for_update().get(pk=binding.pk)
    if binding.active:
        binding.active = False
        binding.save(update_fields=["active", "updated_at"])
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.STATUS,
            obj=binding,
            district_id=binding.account.district_id,
            old_values={"active": True},
            new_values={"active": False},
        )
    return binding


@transaction.atomic
def account_payment_record(
    *,
    actor: User | None,
    holder: Person,
    purpose: str,
    amount: Any,
    beneficiary_id_number: str = "",
    bill_id: int | None = None,
) -> AccountEntry:
    """Pay from the account outside a settlement: a relative's resident contribution, or a retiree's
    大额医疗互助 premium. Forbidden uses are refused by name; the balance never goes below zero."""
    require_edit_in_district(actor=actor, district_id=holder.district_id)
    if purpose in FORBIDDEN_USES:
        raise ValidationError({"purpose": f"个人账户不得用于{FORBIDDEN_USES[purpose]}"})
    if purpose not in (AccountEntry.Purpose.RESIDENT_CONTRIBUTION, AccountEntry.Purpose.CRITICAL_CONTRIBUTION):
        raise ValidationError({"purpose": "个人账户支付用途不正确；医疗费用在定点机构结算时支付"})
    try:
        amount = to_fen(Decimal(str(amount)))
    except (ArithmeticError, ValueError):
        raise ValidationError({"amount": "金额应为数字，最多两位小数"}) from None
    if amount <= 0:
        raise ValidationError({"amount": "金额须大于0"})
    account = PersonalAccount.objects.select_for_update().filter(person=holder).first()
    if account is None:
        raise ValidationError({"holder": "该人员没有职工医保个人账户"})
    if refusal := holder_death_refusal(holder):
        raise ValidationError({"holder": refusal})
    beneficiary = holder
    if purpose == AccountEntry.Purpose.CRITICAL_CONTRIBUTION:
        if not holder.enrollments.filter(status=Enrollment.Status.ACTIVE, category=Category.RETIRED).exists():
            raise ValidationError({"purpose": "大额医疗互助保险缴费仅限退休人员本人"})
    else:
        beneficiary = _person_by_id_number(beneficiary_id_number, "beneficiary_id_number")
        if not FamilyBinding.objects.filter(account=account, member=beneficiary, active=True).exists():
            raise ValidationError({"beneficiary_id_number": "只能为已绑定的配偶、父母、子女缴纳居民医保"})
        bill = ContributionBill.objects.filter(pk=bill_id, person=beneficiary, scheme=Scheme.RESIDENT).first()
        if bill is None:
            raise ValidationError({"bill_id": "未找到该人员的居民医保缴费单"})
    if amount > account.balance:
        raise ValidationError({"amount": f"个人账户余额不足（余额 {account.balance} 元）"})
    account.balance -= amount
    account.save(update_fields=["balance", "updated_at"])
    entry = AccountEntry.objects.create(
        account=account,
        kind=AccountEntry.Kind.PAYMENT,
        purpose=purpose,
        amount=-amount,
        balance_after=account.balance,
        beneficiary=beneficiary,
        created_by=acting_user(actor),
    )
    if purpose == AccountEntry.Purpose.RESIDENT_CONTRIBUTION:
        # The relative's bill is paid in the same transaction, by the system on the holder's behalf
        # (the relative may live in another district).
        payment_record(
            actor=None,
            bill=bill,
            amount=amount,
            paid_on=timezone.localdate(),
            reference=f"ACCOUNT-{entry.pk}",
            channel="counter",
        )
    event_post(source="account_spending", record_id=entry.pk, actor=actor)
    audit_event_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=entry,
        object_repr=f"个人账户支付 {holder.masked_id_number}",
        district_id=account.district_id,
        new_values=snapshot(entry, fields=["kind", "purpose", "amount", "balance_after"]),
    )
    return entry


_OPEN_SQL = """
INSERT INTO benefits_personalaccount (person_id, district_id, balance, created_at, updated_at)
SELECT e.person_id, e.district_id, 0, %(now)s, %(now)s
FROM enrollment_enrollment e
WHERE e.status = 'active' AND e.scheme = 'employee' AND e.id > %(after)s AND e.id <= %(upto)s {district}
  AND e.start_date <= %(month_end)s
ON CONFLICT (person_id) DO NOTHING
"""
# The chunk's credits are computed into a temporary table first, then one statement moves the balances and
# writes the ledger lines with the new balance. In one statement the "not yet credited" check would
# interleave with the writes.
#
# The chunk is an enrollment id range; each enrollment's account, and whether its month is credited already,
# are one lookup each in a unique index (person; account and month), whatever the statistics say. Written as
# joins, the planner shaped them from statistics: with the ledger analysed while empty (a new city's first
# month) it expected one credit line for the month and compared every account with a materialised scan of
# all the month's credits so far (quadratic: minutes at 200k employees); with tables analysed while they held
# only dead rows it expected none at all and read the whole account index once per enrollment. A LATERAL
# subquery with a LIMIT is never flattened into a join: it runs once per row with the key bound, and as long
# as the table has pages an index probe is the cheapest way to answer it.
_CREDIT_DUE_SQL = f"""
CREATE TEMPORARY TABLE account_credit_due ON COMMIT DROP AS
SELECT a.id AS account_id, {CREDIT_AMOUNT} AS amount,
       CASE WHEN e.category = 'retired' THEN 'credit_fixed' ELSE 'credit_contribution' END AS purpose
FROM enrollment_enrollment e
JOIN benefits_accountcreditrule r ON r.year = %(year)s AND r.category = e.category
CROSS JOIN LATERAL (
    SELECT a.id FROM benefits_personalaccount a WHERE a.person_id = e.person_id LIMIT 1
) a
LEFT JOIN LATERAL (
    SELECT 1 AS done FROM benefits_accountentry x
    WHERE x.account_id = a.id AND x.kind = 'credit' AND x.period = %(period)s
    LIMIT 1
) credited ON TRUE
WHERE e.status = 'active' AND e.scheme = 'employee' AND e.id > %(after)s AND e.id <= %(upto)s {{district}}
  AND e.start_date <= %(month_end)s
  AND credited.done IS NULL
"""  # noqa: S608  (a fixed fragment only)
_CREDIT_SQL = """
WITH moved AS (
    UPDATE benefits_personalaccount a SET balance = a.balance + c.amount, updated_at = %(now)s
    FROM account_credit_due c WHERE a.id = c.account_id AND c.amount > 0
    RETURNING a.id, a.balance, c.amount, c.purpose
)
INSERT INTO benefits_accountentry (account_id, kind, purpose, amount, balance_after, period, note, created_at)
SELECT id, 'credit', purpose, amount, balance, %(period)s, '', %(now)s FROM moved
RETURNING id
"""


def account_credits_post(
    *, actor: User | None, year: int, month: int, district_id: int | None = None, progress=None
) -> dict[str, int]:
    """个人账户划入 for one month, for every active employee enrollment, in id-range chunks.

    Idempotent: a month credited once is never credited again (the ledger's unique (account, month)
    line is the proof), so a re-run or a resumed run after a killed worker only fills the gaps.
    """
    require_edit_for_scope(actor=actor, district_id=district_id)
    if not 1 <= month <= 12:
        raise ValidationError({"month": "月份应为1-12"})
    if not AccountCreditRule.objects.filter(year=year).exists():
        raise ValidationError({"year": f"{year}年度没有个人账户划入标准"})
    period = year * 100 + month
    base = credited_enrollments(district_id=district_id)
    credited = 0
    postgres = connection.vendor == "postgresql"
    for after, upto, done, total in id_chunks(base, size=CREDIT_CHUNK):
        # The chunk's credits post to the fund books, summed per district, in the chunk's transaction. They
        # are the month's credits in the id range the chunk wrote (runs of one month take turns, see the
        # advisory lock): a primary-key range, which the planner reads well even before the new rows are
        # analysed.
        with transaction.atomic():
            chunk = {"year": year, "period": period, "after": after, "upto": upto, "now": timezone.now()}
            if postgres:
                ids = _credit_chunk_sql(**chunk, district_id=district_id)
            else:
                ids = _credit_chunk_python(**chunk, district_id=district_id)
            if ids:
                with no_nested_loops(postgres):
                    records_post(
                        source="account_credit", memo=f"{period} 个人账户划入", actor=actor,
                        kind=AccountEntry.Kind.CREDIT, period=period, pk__gte=min(ids), pk__lte=max(ids),
                    )  # fmt: skip
            credited += len(ids)
        if progress:
            progress(done=done, total=total)
    with transaction.atomic():
        audit_event_record(
            actor=actor,
            action=AuditEvent.Action.JOB,
            object_type="benefits.accountentry",
            object_repr=f"{period} 个人账户划入",
            district_id=district_id,
            new_values={"period": period, "credited": credited},
        )
    return {"credited": credited}


def _month_end(period: int) -> dt.date:
    """Only enrollments that had begun by the end of the month are credited for it."""
    year, month = divmod(period, 100)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _credit_chunk_sql(
    *, year: int, period: int, after: int, upto: int, district_id: int | None, now: dt.datetime
) -> list[int]:
    district = "AND e.district_id = %(district)s" if district_id else ""
    params = {
        "year": year,
        "period": period,
        "after": after,
        "upto": upto,
        "district": district_id,
        "now": now,
        "month_end": _month_end(period),
    }
    with connection.cursor() as cursor:
        # Two runs of one month take turns chunk by chunk; the second then sees the first's lines.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7301, period])
        cursor.execute(_OPEN_SQL.format(district=district), params)
        cursor.execute(_CREDIT_DUE_SQL.format(district=district), params)
        with no_nested_loops():
            cursor.execute(_CREDIT_SQL, params)
            credited = [row[0] for row in cursor.fetchall()]
        # ON COMMIT DROP alone is not enough: inside an outer transaction the chunk's atomic block is only a
        # savepoint, and the next chunk (or the next month) would find the table still there.
        cursor.execute("DROP TABLE account_credit_due")
        return credited


def _credit_chunk_python(
    *, year: int, period: int, after: int, upto: int, district_id: int | None, now: dt.datetime
) -> list[int]:
    """The same for SQLite, the embedded demo database, which has no exact decimals in SQL."""
    rules = {r.category: r for r in AccountCreditRule.objects.filter(year=year)}
    rows = (
        credited_enrollments(district_id=district_id)
        .filter(id__gt=after, id__lte=upto, start_date__lte=_month_end(period))
        .values("person_id", "district_id", "category", "contribution_base")
    )
    rows = [r for r in rows if r["category"] in rules]
    PersonalAccount.objects.bulk_create(
        [PersonalAccount(person_id=r["person_id"], district_id=r["district_id"]) for r in rows], ignore_conflicts=True
    )
    accounts = {a.person_id: a for a in PersonalAccount.objects.filter(person_id__in=[r["person_id"] for r in rows])}
    done = set(
        AccountEntry.objects.filter(
            account__in=accounts.values(), kind=AccountEntry.Kind.CREDIT, period=period
        ).values_list("account_id", flat=True)
    )
    entries, changed = [], []
    for r in rows:
        account, rule = accounts[r["person_id"]], rules[r["category"]]
        amount = to_fen((r["contribution_base"] or Decimal(0)) * rule.rate + rule.fixed_amount)
        if account.pk in done or amount <= 0:
            continue
        account.balance += amount
        account.updated_at = now
        changed.append(account)
        entries.append(
            AccountEntry(
                account=account,
                kind=AccountEntry.Kind.CREDIT,
                purpose=credit_purpose(r["category"]),
                amount=amount,
                balance_after=account.balance,
                period=period,
            )
        )
    PersonalAccount.objects.bulk_update(changed, ["balance", "updated_at"], batch_size=2000)
    AccountEntry.objects.bulk_create(entries, batch_size=2000)
    return [entry.pk for entry in entries]
