"""异地就医月度清算: statements per counterpart area and month, their postings to the fund books, and their
reconciliation (issue 16, point 5: "Monthly clearing (清算): per counterpart area and month, what we owe and
what we are owed, a clearing statement with its lines, confirmation and payment status; it posts to the fund
books as receivable/payable, and reconciles to the settlements (a command exits non-zero on any difference)").

Seed 000: "完善医保异地就医直接结算制度" and "将异地就医直接结算医疗费用纳入跨区域医保基金预算".

The numbers, by hand (benefits/reference/policy_2023.json; care elsewhere unfiled: "ratio_reduction": "0.2000",
可配置默认值): a resident's level-3 inpatient stay pays (eligible - 800 deductible) x (0.60 - 0.20).
  S1 settled 2023-05-10: eligible 10,800 -> 10,000 x 0.40 = 4,000.00
  S2 settled 2023-05-31 23:30 (Shanghai): eligible 5,800 -> 5,000 x 0.40 = 2,000.00, reversed 2023-06-20
  S3 settled 2023-06-01 00:30 Shanghai (still 31 May in UTC: June's): eligible 3,300 -> 2,500 x 0.40 = 1,000.00
  Inbound I1 (a 510000 patient at our hospital) 2023-05-15: pooled 1,500.00 + critical 300.00 = 1,800.00
May: payable 6,000.00 (2 lines), receivable 1,800.00 (1), net 4,200.00.
June: payable 1,000.00 - 2,000.00 = -1,000.00 (2 lines: S3 and S2's reversal), receivable 0.
"""

import datetime as dt
import zoneinfo
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Sum
from django_celery_beat.models import PeriodicTask

from benefits.clearing_jobs import KIND, previous_month
from benefits.models import Clearing, ClearingLine, InboundSettlement, Settlement
from benefits.remote_selectors import remote_terms_for
from benefits.services import SettlementRequest, institution_elsewhere, settlement_create, settlement_reverse
from benefits.services import clearing as clearing_service
from benefits.services.clearing import (
    clearing_confirm,
    clearing_generate,
    clearing_month_parse,
    clearing_pay,
    clearing_reconcile,
)
from core.jobs import job_run_execute
from core.ledger import books_backfill, books_reconcile, event_post
from core.models import AuditEvent
from core.models.ledger import JournalEntry, JournalLine
from core.services import job_run_create
from tests.benefits_support import resident, staff_client

D = Decimal
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
SICHUAN = "510000"
GUANGDONG = "440300"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def at_time(moment: dt.datetime):
    """Settle, reverse or run 'now' at `moment` (settled_at and reversed_at are the service's clock)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def outbound(person, number: str, *, eligible: str, moment: dt.datetime, area: str = SICHUAN) -> Settlement:
    """Our insured's level-3 inpatient stay elsewhere, settled directly through the platform (unfiled)."""
    day = moment.date() - dt.timedelta(days=5)
    hospital = institution_elsewhere(code=f"H{area}00001", name=f"{area}人民医院", level=3, area_code=area, on=day)
    request = SettlementRequest(
        settlement_number=number, id_number=person.id_number, benefit_type="inpatient", service_date=day,
        discharge_date=day + dt.timedelta(days=3), total_cost=D(eligible) + D("500.00"), eligible_cost=D(eligible),
    )  # fmt: skip
    with at_time(moment):
        settlement, created = settlement_create(
            actor=None,
            institution=hospital,
            request=request,
            remote=lambda p: remote_terms_for(
                person_id=p.pk, on=day, care_area_code=area, platform_number=f"PF-{number}"
            ),
        )
    assert created
    return settlement


def inbound(hospital, number: str, *, pooled: str, critical: str, moment: dt.datetime, area: str = SICHUAN):
    """A patient insured in `area` settled at our hospital (the inbound service is another part's: ORM here,
    posted as that service posts it)."""
    with transaction.atomic():  # the record and its entry commit together, as in the service
        row = _inbound_row(hospital, number, pooled=pooled, critical=critical, moment=moment, area=area)
        event_post(source="remote_inbound", record_id=row.pk)
    return row


def _inbound_row(hospital, number: str, *, pooled: str, critical: str, moment: dt.datetime, area: str):
    advanced = D(pooled) + D(critical)
    return InboundSettlement.objects.create(
        platform_number=number, institution=hospital, district_id=hospital.district_id, insured_area_code=area,
        id_number="510104198001011234", name="外地患者", scheme="resident", benefit_type="inpatient",
        service_date=moment.date(), year=moment.year, total_cost=advanced + D("1200.00"),
        eligible_cost=advanced + D("700.00"), pooled_paid=D(pooled), critical_paid=D(critical),
        out_of_pocket=D("1200.00"), settled_at=moment,
    )  # fmt: skip


@pytest.fixture
def activity(policy_2023, hospital_yz):
    """May and June 2023 with Sichuan (510000), as in the module docstring, plus one in-city settlement."""
    person = resident()
    s1 = outbound(person, "S1", eligible="10800.00", moment=at(2023, 5, 10, 9, 0))
    s2 = outbound(person, "S2", eligible="5800.00", moment=at(2023, 5, 31, 23, 30))
    s3 = outbound(person, "S3", eligible="3300.00", moment=at(2023, 6, 1, 0, 30))
    i1 = inbound(hospital_yz, "IN-1", pooled="1500.00", critical="300.00", moment=at(2023, 5, 15, 10, 0))
    with at_time(at(2023, 6, 20, 14, 0)):
        settlement_reverse(actor=None, settlement=s2, reason="平台撤销结算")
    here = SettlementRequest(
        settlement_number="IN-CITY-1", id_number=person.id_number, benefit_type="inpatient",
        service_date=dt.date(2023, 5, 2), discharge_date=dt.date(2023, 5, 6), total_cost=D("3000.00"),
        eligible_cost=D("3000.00"),
    )  # fmt: skip
    with at_time(at(2023, 5, 6, 10, 0)):
        in_city, _ = settlement_create(actor=None, institution=hospital_yz, request=here)
    s2.refresh_from_db()
    return {"person": person, "s1": s1, "s2": s2, "s3": s3, "i1": i1, "in_city": in_city}


def lines_of(clearing: Clearing) -> list[tuple]:
    return sorted(
        ClearingLine.objects.filter(clearing=clearing).values_list(
            "direction", "settlement_id", "inbound_id", "reversal", "pooled", "critical", "aid", "amount"
        ),
        key=str,
    )


def test_settlement_amounts_are_the_hand_computed_ones(activity):
    # policy_2023.json remote_care "unfiled": "ratio_reduction": "0.2000" (可配置默认值); level 3: 800 / 0.60
    assert [activity[k].pooled_paid for k in ("s1", "s2", "s3")] == [D("4000.00"), D("2000.00"), D("1000.00")]
    assert all(activity[k].critical_paid == activity[k].aid_paid == 0 for k in ("s1", "s2", "s3"))
    assert activity["s2"].status == Settlement.Status.REVERSED
    assert activity["in_city"].care_area_code == ""


def test_may_statement_owes_and_is_owed(activity):
    counts = clearing_generate(actor=None, month="2023-05")
    assert counts == {"month": "2023-05", "areas": 1, "generated": 1, "unchanged": 0, "lines": 3}
    (may,) = Clearing.objects.all()
    assert (may.area_code, may.month, may.status) == (SICHUAN, dt.date(2023, 5, 1), Clearing.Status.DRAFT)
    assert (may.payable, may.receivable, may.net) == (D("6000.00"), D("1800.00"), D("4200.00"))
    assert (may.payable_count, may.receivable_count) == (2, 1)
    district = activity["person"].district_id
    assert lines_of(may) == sorted(
        [
            ("payable", activity["s1"].pk, None, False, D("4000.00"), D("0.00"), D("0.00"), D("4000.00")),
            ("payable", activity["s2"].pk, None, False, D("2000.00"), D("0.00"), D("0.00"), D("2000.00")),
            ("receivable", None, activity["i1"].pk, False, D("1500.00"), D("300.00"), D("0.00"), D("1800.00")),
        ],
        key=str,
    )
    assert set(ClearingLine.objects.filter(direction="payable").values_list("district_id", flat=True)) == {district}
    assert not ClearingLine.objects.filter(settlement=activity["in_city"]).exists()  # care in the city
    assert clearing_reconcile(month="2023-05") == []


def test_june_statement_shows_the_reversal_negated(activity):
    clearing_generate(actor=None, month="2023-05")
    counts = clearing_generate(actor=None, month="2023-06")
    assert counts["generated"] == 1 and counts["lines"] == 2
    june = Clearing.objects.get(month=dt.date(2023, 6, 1))
    assert (june.payable, june.receivable, june.net) == (D("-1000.00"), D("0.00"), D("-1000.00"))
    assert june.payable_count == 2
    assert lines_of(june) == sorted(
        [
            ("payable", activity["s3"].pk, None, False, D("1000.00"), D("0.00"), D("0.00"), D("1000.00")),
            ("payable", activity["s2"].pk, None, True, D("-2000.00"), D("0.00"), D("0.00"), D("-2000.00")),
        ],
        key=str,
    )
    # S2 is on May's statement settled and on June's reversed: one line each way, never twice.
    assert ClearingLine.objects.filter(settlement=activity["s2"]).count() == 2
    assert clearing_reconcile() == []


def test_regenerating_a_draft_changes_nothing(activity):
    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    before = (lines_of(may), may.payable, may.receivable, may.payable_count, may.receivable_count)
    again = clearing_generate(actor=None, month="2023-05", area_code=SICHUAN)
    may.refresh_from_db()
    assert again["generated"] == 1 and again["lines"] == 3
    assert (lines_of(may), may.payable, may.receivable, may.payable_count, may.receivable_count) == before
    assert Clearing.objects.count() == 1 and ClearingLine.objects.count() == 3


def test_a_confirmed_statement_is_not_regenerated(activity, municipal_admin):
    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    assert clearing_confirm(actor=municipal_admin, clearing=may).changed
    late = outbound(activity["person"], "S4", eligible="1800.00", moment=at(2023, 5, 20, 8, 0))  # 1,000 x 0.4
    counts = clearing_generate(actor=municipal_admin, month="2023-05")
    assert (counts["generated"], counts["unchanged"], counts["lines"]) == (0, 1, 0)
    may.refresh_from_db()
    assert (may.status, may.payable, may.payable_count) == (Clearing.Status.CONFIRMED, D("6000.00"), 2)
    assert not ClearingLine.objects.filter(settlement=late).exists()
    # The statement no longer says what the month holds: reconciliation names the settlement left out.
    assert clearing_reconcile(month="2023-05") == [
        "结算 S4（四川省，2023年05月，应付）：未列入清算明细",
        "清算单（四川省，2023年05月）应付 6000.00 元，按结算记录重新汇总为 6400.00 元",
    ]


def test_paying_posts_to_the_books_and_they_reconcile(activity, municipal_admin):
    clearing_generate(actor=municipal_admin, month="2023-05")
    clearing_generate(actor=municipal_admin, month="2023-06")
    may, june = Clearing.objects.order_by("month")

    def balance(account: str, fund: str = "resident_pooled") -> Decimal:
        lines = JournalLine.objects.filter(account__code=account, account__fund__code=fund)
        return lines.aggregate(total=Sum("amount"))["total"] or D("0.00")

    # Until paid: S1 + S2 + S3 - S2 owed to Sichuan (credit), I1's 1,500 + 300 owed to us (debit).
    assert balance("remote_payable") == D("-5000.00")
    assert balance("remote_receivable") == D("1500.00")
    assert balance("remote_receivable", "resident_critical") == D("300.00")
    assert books_reconcile() == []

    for statement in (may, june):
        clearing_confirm(actor=municipal_admin, clearing=statement)
        moved = clearing_pay(actor=municipal_admin, clearing=statement, paid_on=dt.date(2023, 7, 10))
        assert moved.changed and moved.clearing.status == Clearing.Status.PAID
    entries = JournalEntry.objects.filter(source="clearing")
    assert sorted(entries.values_list("source_id", flat=True)) == sorted([may.pk, june.pk])
    assert set(entries.values_list("accounting_date", flat=True)) == {dt.date(2023, 7, 10)}
    # May pays 6,000 out of the bank and takes 1,500 + 300 in (the bank nets to -4,500); June takes 1,000 back.
    may_lines = JournalLine.objects.filter(entry__source_id=may.pk, entry__source="clearing")
    assert sorted((ln.account.fund.code, ln.account.code, ln.amount) for ln in may_lines) == sorted(
        [
            ("resident_pooled", "remote_payable", D("6000.00")),
            ("resident_pooled", "bank", D("-4500.00")),
            ("resident_pooled", "remote_receivable", D("-1500.00")),
            ("resident_critical", "bank", D("300.00")),
            ("resident_critical", "remote_receivable", D("-300.00")),
        ]
    )
    for fund in ("resident_pooled", "resident_critical", "medical_aid"):
        assert balance("remote_payable", fund) == 0
        assert balance("remote_receivable", fund) == 0
    assert books_reconcile() == []
    assert books_backfill(actor=None)["clearing"] == 0
    call_command("fund_books", "reconcile")  # raises CommandError (exit 1) on any difference


def test_inbound_reversal_posts_negated(hospital_yz):
    row = inbound(hospital_yz, "IN-9", pooled="800.00", critical="0.00", moment=at(2023, 5, 3, 9, 0))
    InboundSettlement.objects.filter(pk=row.pk).update(status="reversed", reversed_at=at(2023, 5, 4, 9, 0))
    event_post(source="remote_inbound_rev", record_id=row.pk)
    lines = JournalLine.objects.filter(source="remote_inbound_rev")
    assert sorted((ln.account.code, ln.amount, ln.accounting_date) for ln in lines) == [
        ("bank", D("800.00"), dt.date(2023, 5, 4)),
        ("remote_receivable", D("-800.00"), dt.date(2023, 5, 4)),
    ]
    assert books_reconcile() == []


def test_reconcile_finds_a_line_tampered_with(activity, capsys):
    clearing_generate(actor=None, month="2023-05")
    call_command("remote_clearing", "reconcile", "--month", "2023-05")
    assert "清算单与结算记录一致" in capsys.readouterr().out
    line = ClearingLine.objects.get(settlement=activity["s1"])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE benefits_clearingline SET amount = 4100, pooled = 4100 WHERE id = %s", [line.pk])
    found = clearing_reconcile(month="2023-05")
    assert found == [
        "清算单（四川省，2023年05月）应付合计 6000.00 元，明细合计 6100.00 元",
        "结算 S1（四川省，2023年05月，应付）：清算明细金额 4100.00 元，结算记录为 4000.00 元",
    ]
    with pytest.raises(CommandError, match="共 2 处"):
        call_command("remote_clearing", "reconcile", "--month", "2023-05")
    assert found[0] in capsys.readouterr().out


def test_a_killed_run_leaves_whole_statements_and_a_rerun_finishes(activity, hospital_yz):
    inbound(hospital_yz, "IN-GD", pooled="900.00", critical="0.00", moment=at(2023, 5, 8, 9, 0), area=GUANGDONG)
    real = clearing_service._generate_area

    def killed(*, area, **kwargs):
        if area == SICHUAN:
            raise RuntimeError("worker killed")
        return real(area=area, **kwargs)

    with mock.patch.object(clearing_service, "_generate_area", killed), pytest.raises(RuntimeError):
        clearing_generate(actor=None, month="2023-05")  # Guangdong first (areas in code order), then killed
    assert list(Clearing.objects.values_list("area_code", "receivable", "receivable_count")) == [
        (GUANGDONG, D("900.00"), 1)
    ]
    counts = clearing_generate(actor=None, month="2023-05")
    assert (counts["areas"], counts["generated"]) == (2, 2)
    assert Clearing.objects.get(area_code=SICHUAN).payable == D("6000.00")
    assert clearing_reconcile(month="2023-05") == []


def test_the_monthly_job_clears_the_previous_month(activity):
    task = PeriodicTask.objects.get(task="core.tasks.scheduled_job", args='["remote_clearing"]')
    assert (task.crontab.day_of_month, task.crontab.hour, task.crontab.minute) == ("5", "2", "0")
    assert previous_month(dt.date(2023, 1, 5)) == dt.date(2022, 12, 1)
    run = job_run_create(actor=None, kind=KIND, params={})
    with at_time(at(2023, 6, 5, 2, 0)):
        run = job_run_execute(run_id=run.pk)
    assert run.status == "succeeded", run.error
    assert run.counts["month"] == "2023-05" and run.counts["generated"] == 1
    assert Clearing.objects.get().payable == D("6000.00")


def test_statements_are_audited(activity, municipal_admin):
    clearing_generate(actor=municipal_admin, month="2023-05")
    may = Clearing.objects.get()
    clearing_confirm(actor=municipal_admin, clearing=may)
    clearing_pay(actor=municipal_admin, clearing=may, paid_on=dt.date(2023, 6, 15))
    events = AuditEvent.objects.filter(object_type="benefits.clearing").order_by("pk")
    assert [(e.action, e.new_values.get("status")) for e in events] == [
        ("job", None), ("status", "confirmed"), ("status", "paid")
    ]  # fmt: skip
    assert events[0].new_values["generated"] == 1 and events[2].new_values["paid_on"] == "2023-06-15"
    assert {e.actor_id for e in events} == {municipal_admin.pk}


def test_repeating_a_move_changes_nothing(activity, municipal_admin):
    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    clearing_confirm(actor=municipal_admin, clearing=may)
    clearing_pay(actor=municipal_admin, clearing=may, paid_on=dt.date(2023, 6, 15))
    audit, entries = AuditEvent.objects.count(), JournalEntry.objects.count()
    assert not clearing_confirm(actor=municipal_admin, clearing=may).changed
    again = clearing_pay(actor=municipal_admin, clearing=may, paid_on=dt.date(2023, 6, 30))
    assert not again.changed and again.clearing.paid_on == dt.date(2023, 6, 15)
    assert (AuditEvent.objects.count(), JournalEntry.objects.count()) == (audit, entries)


# --- bad input --------------------------------------------------------------------------------------------


def test_bad_input_is_refused_in_chinese_and_changes_nothing(activity, municipal_admin):
    with pytest.raises(Exception, match="清算月份应为“年-月”格式"):
        clearing_month_parse("2023/05")
    with pytest.raises(CommandError, match="清算月份应为“年-月”格式"):
        call_command("remote_clearing", "generate", "--month", "2023-13")
    with pytest.raises(CommandError, match="地区编码应为6位"):
        call_command("remote_clearing", "generate", "--month", "2023-05", "--area", "51")
    assert not Clearing.objects.exists()
    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    audit, entries = AuditEvent.objects.count(), JournalEntry.objects.count()
    with pytest.raises(Exception, match="须先确认才能登记资金划拨"):
        clearing_pay(actor=municipal_admin, clearing=may, paid_on=dt.date(2023, 6, 15))
    clearing_confirm(actor=municipal_admin, clearing=may)
    audit += 1
    with pytest.raises(Exception, match="应在清算月份（2023-05）结束之后"):
        clearing_pay(actor=municipal_admin, clearing=may, paid_on=dt.date(2023, 5, 31))
    may.refresh_from_db()
    assert (may.status, may.paid_on) == (Clearing.Status.CONFIRMED, None)
    assert (AuditEvent.objects.count(), JournalEntry.objects.count()) == (audit, entries)


def test_pages_and_api_refuse_bad_input(activity, municipal_admin, client_for):
    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    web = client_for(municipal_admin)
    page = web.get("/benefits/clearing/?month=2023-5x")
    assert page.status_code == 200 and "清算月份应为“年-月”格式" in page.content.decode()
    paid = web.post(f"/benefits/clearing/{may.pk}/pay/", {"paid_on": "2023-06-15"})
    assert paid.status_code == 400 and "须先确认才能登记资金划拨" in paid.content.decode()
    may.refresh_from_db()
    assert may.status == Clearing.Status.DRAFT and not JournalEntry.objects.filter(source="clearing").exists()
    api = staff_client(municipal_admin)
    bad = api.get("/api/v1/clearing/?month=May")
    assert bad.status_code == 400 and "清算月份应为“年-月”格式" in str(bad.json())
    early = api.post(f"/api/v1/clearing/{may.pk}/pay/", {"paid_on": "2023-06-15"}, format="json")
    assert early.status_code == 400 and "须先确认才能登记资金划拨" in str(early.json())
    may.refresh_from_db()
    assert may.status == Clearing.Status.DRAFT


# --- pages, API, access ----------------------------------------------------------------------------------


def test_admin_works_the_statement_through_pages(activity, municipal_admin, client_for):
    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    web = client_for(municipal_admin)
    listing = web.get("/benefits/clearing/?month=2023-05&area_code=510000&status=draft").content.decode()
    assert f"/benefits/clearing/{may.pk}/" in listing and "6,000.00" in listing and "四川省" in listing
    detail = web.get(f"/benefits/clearing/{may.pk}/").content.decode()
    assert "确认清算单" in detail and "S1" in detail and "IN-1" in detail and "4,200.00" in detail
    assert web.post(f"/benefits/clearing/{may.pk}/confirm/").status_code == 302
    may.refresh_from_db()
    assert may.status == Clearing.Status.CONFIRMED
    detail = web.get(f"/benefits/clearing/{may.pk}/").content.decode()
    assert "登记资金划拨" in detail and "确认清算单" not in detail
    wrong = web.post(f"/benefits/clearing/{may.pk}/pay/", {"paid_on": "2023-05-20"})
    assert wrong.status_code == 400 and "结束之后" in wrong.content.decode()
    assert web.post(f"/benefits/clearing/{may.pk}/pay/", {"paid_on": "2023-06-15"}).status_code == 302
    may.refresh_from_db()
    assert (may.status, may.paid_on, may.paid_by_id) == (Clearing.Status.PAID, dt.date(2023, 6, 15), municipal_admin.pk)
    printed = web.get(f"/benefits/clearing/{may.pk}/print/").content.decode()
    assert "异地就医费用清算单" in printed and "6,000.00" in printed and "1,800.00" in printed
    receivable_only = web.get(f"/benefits/clearing/{may.pk}/?direction=receivable").content.decode()
    assert "IN-1" in receivable_only and "PF-S1" not in receivable_only


def test_api_lists_confirms_and_pays(activity, municipal_admin):
    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    api = staff_client(municipal_admin)
    listing = api.get("/api/v1/clearing/", {"month": "2023-05", "area_code": SICHUAN}).json()
    (row,) = listing["results"]
    assert (row["id"], row["payable"], row["receivable"], row["net"], row["status"]) == (
        may.pk, "6000.00", "1800.00", "4200.00", "draft"
    )  # fmt: skip
    detail = api.get(f"/api/v1/clearing/{may.pk}/").json()
    assert [(s["direction"], s["count"], s["amount"]) for s in detail["subtotals"]] == [
        ("payable", 2, "6000.00"), ("receivable", 1, "1800.00")
    ]  # fmt: skip
    assert api.post(f"/api/v1/clearing/{may.pk}/confirm/").json()["status"] == "confirmed"
    assert api.post(f"/api/v1/clearing/{may.pk}/confirm/").json()["status"] == "confirmed"
    paid = api.post(f"/api/v1/clearing/{may.pk}/pay/", {"paid_on": "2023-06-15"}, format="json").json()
    assert (paid["status"], paid["paid_on"]) == ("paid", "2023-06-15")
    assert JournalEntry.objects.filter(source="clearing", source_id=may.pk).count() == 1


def test_district_users_get_403_and_readers_cannot_move(activity, clerk_yuzhong, auditor, client_for):
    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    clerk_web, clerk_api = client_for(clerk_yuzhong), staff_client(clerk_yuzhong)
    for url in ("/benefits/clearing/", f"/benefits/clearing/{may.pk}/", f"/benefits/clearing/{may.pk}/print/"):
        assert clerk_web.get(url).status_code == 403, url
    assert clerk_web.post(f"/benefits/clearing/{may.pk}/confirm/").status_code == 403
    for url in ("/api/v1/clearing/", f"/api/v1/clearing/{may.pk}/"):
        assert clerk_api.get(url).status_code == 403, url
    assert clerk_api.post(f"/api/v1/clearing/{may.pk}/confirm/").status_code == 403
    # A city-wide reader sees the statements but may not move them.
    assert client_for(auditor).get(f"/benefits/clearing/{may.pk}/").status_code == 200
    assert "确认清算单" not in client_for(auditor).get(f"/benefits/clearing/{may.pk}/").content.decode()
    assert client_for(auditor).post(f"/benefits/clearing/{may.pk}/confirm/").status_code == 403
    assert staff_client(auditor).post(f"/api/v1/clearing/{may.pk}/confirm/").status_code == 403
    with pytest.raises(Exception, match="无权"):
        clearing_generate(actor=clerk_yuzhong, month="2023-05")
    may.refresh_from_db()
    assert may.status == Clearing.Status.DRAFT


@pytest.mark.django_db(transaction=True)
def test_areas_side_by_side_give_the_same_statements(activity, hospital_yz, settings):
    """Outside a caller's transaction, PostgreSQL generates a few areas at once (their own connections)."""
    settings.YIBAO_BATCH_WORKERS = 3
    inbound(hospital_yz, "IN-GD", pooled="900.00", critical="0.00", moment=at(2023, 5, 8, 9, 0), area=GUANGDONG)
    inbound(hospital_yz, "IN-BJ", pooled="700.00", critical="0.00", moment=at(2023, 5, 9, 9, 0), area="110000")
    counts = clearing_generate(actor=None, month="2023-05")
    assert (counts["areas"], counts["generated"], counts["lines"]) == (3, 3, 5)
    assert sorted(Clearing.objects.values_list("area_code", "payable", "receivable")) == [
        ("110000", D("0.00"), D("700.00")), (GUANGDONG, D("0.00"), D("900.00")),
        (SICHUAN, D("6000.00"), D("1800.00")),
    ]  # fmt: skip
    assert clearing_reconcile(month="2023-05") == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_confirms_and_pays_in_the_browser(page, live_server, activity, municipal_admin, conftest_password):
    from playwright.sync_api import expect

    from tests.browser_support import assert_no_axe_violations, log_in

    clearing_generate(actor=None, month="2023-05")
    may = Clearing.objects.get()
    log_in(page, live_server, municipal_admin.username, conftest_password)
    page.goto(f"{live_server.url}/benefits/clearing/")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="2023-05").click()
    expect(page.get_by_test_id("net")).to_contain_text("4,200.00")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("已确认")
    page.get_by_label("资金划拨日期").fill("2023-06-15")
    page.get_by_role("button", name="登记划拨").click()
    expect(page.get_by_test_id("status")).to_have_text("已清算")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="打印清算单").click()
    expect(page.get_by_test_id("payable")).to_contain_text("6,000.00")
    assert_no_axe_violations(page)
    may.refresh_from_db()
    assert may.status == Clearing.Status.PAID and books_reconcile() == []
