"""疑点筛查: each rule hits what it must and nothing else, once, within the window, on settled rows only."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.fraud import fraud_scan, pass_settings, reference_hits, scan_passes, scan_rules, scan_window
from audit.fraud_sql import Dialect, _codes
from audit.models import FraudRule, Suspicion
from benefits.models import BenefitPolicy, Settlement
from benefits.services import institution_register
from core.models import AuditEvent, JobRun
from tests.fraud_support import YEAR, hits, person, seed_rules, settle
from tests.plan_support import analyze_held

ON_SQLITE = connection.vendor == "sqlite"

D = Decimal


@pytest.fixture
def hospital_b(districts):
    return institution_register(
        actor=None, name="江北区中医院", kind="hospital", level=2, district_id=districts["500105"].pk,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip


@pytest.fixture
def scenario(policy_2023, hospital_yz, hospital_b, pharmacy_yz):
    """One city's year with one or more cases per rule, and near misses next to each."""
    rules = seed_rules()
    h, h2, ph = hospital_yz, hospital_b, pharmacy_yz
    # 重复结算: same person, institution, day and total under two numbers; near misses beside it.
    a = person()
    settle(a, h, "D1", "2023-03-01", total="200.00", pooled="100.00")
    settle(a, h, "D2", "2023-03-01", total="200.00", pooled="100.00")  # hit
    settle(a, h, "D3", "2023-03-01", total="300.00")  # other amount
    settle(a, h, "D5", "2023-04-01", total="150.00")
    settle(a, h, "D6", "2023-04-01", total="150.00", status="reversed")  # reversed: no duplicate
    # 分解住院 (15 days, same hospital), including a discharge before the window.
    b = person()
    settle(b, h, "I0", "2022-12-20", kind="inpatient", discharge="2022-12-25", total="5000.00")
    settle(b, h, "I1", "2023-01-05", kind="inpatient", discharge="2023-01-15", total="6000.00")  # 11 days: hit
    settle(b, h, "I2", "2023-01-30", kind="inpatient", discharge="2023-02-05", total="7000.00")  # 15 days: hit
    settle(b, h, "I3", "2023-03-20", kind="inpatient", discharge="2023-03-25", total="8000.00")  # 43 days
    settle(b, h2, "I4", "2023-03-30", kind="inpatient", discharge="2023-04-02", total="9000.00")  # other hospital
    # 跨机构同时住院: overlapping stays at two hospitals; a same-day transfer is not an overlap.
    c = person()
    settle(c, h, "C1", "2023-06-01", kind="inpatient", discharge="2023-06-10", total="10000.00", pooled="7000.00")
    settle(c, h2, "C2", "2023-06-05", kind="inpatient", discharge="2023-06-08", total="3000.00", pooled="2000.00")
    h3 = institution_register(
        actor=None, name="渝中区第二医院", kind="hospital", level=3, district_id=h.district_id,
        agreement_start=dt.date(2020, 1, 1),
    )  # fmt: skip
    settle(c, h3, "C3", "2023-06-10", kind="inpatient", discharge="2023-06-12", total="2000.00")  # transfer
    # 冒名就医: after death, and outside every enrollment period.
    dead = person(died=dt.date(2023, 4, 30))
    settle(dead, h, "X1", "2023-04-20")
    settle(dead, h, "X2", "2023-05-10", total="260.00", pooled="130.00")  # hit
    ended = person(start=dt.date(2022, 1, 1), end=dt.date(2023, 6, 30))
    settle(ended, h, "X3", "2023-06-30")
    settle(ended, h, "X4", "2023-07-05")  # hit
    # 门诊套现: 8 personal-account pharmacy purchases within 30 days hit, all 8; 7 do not.
    f = person(scheme="employee")
    for i in range(8):
        settle(f, ph, f"P{i}", str(dt.date(2023, 9, 1) + dt.timedelta(days=3 * i)), kind="pharmacy",
               total="88.00", account="88.00")  # fmt: skip
    settle(f, ph, "P8", "2023-09-05", kind="pharmacy", total="50.00")  # cash, not the account
    settle(f, ph, "P9", "2023-11-15", kind="pharmacy", total="60.00", account="60.00")  # alone
    g = person(scheme="employee")
    for i in range(7):
        settle(g, ph, f"Q{i}", str(dt.date(2023, 9, 1) + dt.timedelta(days=i)), kind="pharmacy",
               total="20.00", account="20.00")  # fmt: skip
    # 超限额: resident tier-1 outpatient pooling, cap 300.00 a year.
    cap = BenefitPolicy.objects.get(year=2023, scheme="resident", tier=1, benefit_type="outpatient", version=1)
    o = person()
    settle(o, h, "O1", "2023-02-01", total="400.00", pooled="200.00", policy=cap)
    settle(o, h, "O2", "2023-02-10", total="300.00", pooled="150.00", policy=cap)  # 350: over by 50.00
    settle(o, h, "O3", "2023-02-20", total="80.00", pooled="40.00", policy=cap)  # all 40.00 over
    settle(o, h, "O4", "2023-02-25", total="900.00", pooled="500.00", policy=cap, status="reversed")
    # 限性别/限年龄.
    settle(person(gender="M"), h, "G1", "2023-05-01", diag="O80")  # hit
    settle(person(gender="F"), h, "G2", "2023-05-01", diag="O80")
    settle(person(gender="F"), h, "G3", "2023-05-01", diag="N40.001")  # hit
    settle(person(gender="M"), h, "G4", "2023-05-01", diag="N40")
    settle(person(gender="F"), h, "G5", "2023-05-01", diag="N83.2")  # hit? no: female, N70-N98 female-only
    settle(person(birth=dt.date(1990, 1, 1)), h, "G6", "2023-05-01", diag="P07.3")  # hit: aged 33
    settle(person(birth=dt.date(2022, 12, 1)), h, "G7", "2023-05-01", diag="P07.3")  # 5 months old
    return {"rules": rules, "cap": cap}


EXPECTED = {
    ("DUP_SETTLEMENT", "D2"),
    ("SPLIT_ADMISSION", "I1"),
    ("SPLIT_ADMISSION", "I2"),
    ("CONCURRENT_INPATIENT", "C1"),
    ("CONCURRENT_INPATIENT", "C2"),
    ("AFTER_END_OR_DEATH", "X2"),
    ("AFTER_END_OR_DEATH", "X4"),
    *{("CASH_OUT", f"P{i}") for i in range(8)},
    ("OVER_CAP", "O2"),
    ("OVER_CAP", "O3"),
    ("GENDER_AGE", "G1"),
    ("GENDER_AGE", "G3"),
    ("GENDER_AGE", "G6"),
}


def test_each_rule_hits_exactly_its_cases(scenario):
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])

    assert hits() == EXPECTED
    assert counts == {
        "AFTER_END_OR_DEATH": 2, "CASH_OUT": 8, "CONCURRENT_INPATIENT": 2, "DUP_SETTLEMENT": 1,
        "GENDER_AGE": 3, "OVER_CAP": 2, "SPLIT_ADMISSION": 2, "HOME_REMOTE_OVERLAP": 0, "REMOTE_DIRECT_MANUAL": 0,
        "created": 20,
    }  # fmt: skip
    assert set(Suspicion.objects.values_list("status", flat=True)) == {"open"}


def test_amounts_and_details(scenario):
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])

    def row(number):
        return Suspicion.objects.select_related("settlement").get(settlement__settlement_number=number)

    assert row("O2").amount == D("50.00") and row("O3").amount == D("40.00")
    assert "350.00" in row("O2").detail and "300.00" in row("O2").detail
    assert row("D2").amount == D("100.00") and "D1" in row("D2").detail
    assert row("C1").amount == D("7000.00") and "C2" in row("C1").detail
    assert "C1" in row("C2").detail
    assert "2023-04-30" in row("X2").detail and row("X2").amount == D("130.00")
    assert "参保期" in row("X4").detail
    assert row("I1").detail == "出院（结算单 I0）后 11 天内再次入院"
    assert row("I2").detail == "出院（结算单 I1）后 15 天内再次入院"
    assert row("P0").amount == D("88.00") and "8 次" in row("P0").detail
    assert "限女性" in row("G1").detail and "限男性" in row("G3").detail and "1 周岁" in row("G6").detail
    s = row("D2")
    assert (s.person_id, s.institution_id, s.district_id, s.service_date) == (
        s.settlement.person_id, s.settlement.institution_id, s.settlement.district_id, s.settlement.service_date,
    )  # fmt: skip


def test_second_scan_adds_nothing(scenario):
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    again = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])

    assert again["created"] == 0
    assert Suspicion.objects.count() == len(EXPECTED)


def test_window_is_respected_and_overlapping_windows_add_only_new_hits(scenario):
    march = fraud_scan(actor=None, start="2023-01-01", end="2023-03-31")

    assert hits() == {("DUP_SETTLEMENT", "D2"), ("SPLIT_ADMISSION", "I1"), ("SPLIT_ADMISSION", "I2"),
                      ("OVER_CAP", "O2"), ("OVER_CAP", "O3")}  # fmt: skip
    assert march["created"] == 5
    year = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    assert year["created"] == len(EXPECTED) - 5 and hits() == EXPECTED


def test_reversed_settlements_never_hit(scenario):
    from benefits.models import Settlement

    Settlement.objects.filter(settlement_number__in=["D2", "C2", "X2"]).update(status="reversed")
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])

    gone = {("DUP_SETTLEMENT", "D2"), ("CONCURRENT_INPATIENT", "C1"), ("CONCURRENT_INPATIENT", "C2"),
            ("AFTER_END_OR_DEATH", "X2")}  # fmt: skip
    assert hits() == EXPECTED - gone


def test_one_rule_only_and_rule_params_are_data(scenario):
    rule = FraudRule.objects.get(code="SPLIT_ADMISSION")
    rule.params = {"days": 10, "same_institution": True}
    rule.save()
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=["SPLIT_ADMISSION"])

    assert counts == {"SPLIT_ADMISSION": 0, "created": 0}
    rule.params = {"days": 15, "same_institution": False}
    rule.save()
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=["SPLIT_ADMISSION"])
    # Across hospitals: also I4 (4 days after I3) and C3 (2 days after C2 at another hospital).
    expected = {("SPLIT_ADMISSION", n) for n in ("I1", "I2", "I4", "C3")}
    assert hits() == expected


def test_bad_input_is_a_clear_chinese_error_and_changes_nothing(scenario, reviewer_yuzhong):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="截止日期不能早于开始日期"):
        fraud_scan(actor=None, start="2023-12-31", end="2023-01-01")
    with pytest.raises(ValidationError, match="规则编码不存在：NOPE"):
        fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=["NOPE"])
    with pytest.raises(ValidationError, match="日期格式"):
        fraud_scan(actor=None, start="2023-13-01", end=YEAR[1])
    FraudRule.objects.filter(code="SPLIT_ADMISSION").update(params={"days": "fifteen"})
    with pytest.raises(ValidationError, match="规则 SPLIT_ADMISSION 参数错误"):
        fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    with pytest.raises(PermissionDenied):
        fraud_scan(actor=reviewer_yuzhong, start=YEAR[0], end=YEAR[1])
    assert Suspicion.objects.count() == 0 and AuditEvent.objects.count() == events


def test_the_scan_is_audited(scenario, municipal_admin):
    fraud_scan(actor=municipal_admin, start=YEAR[0], end=YEAR[1])

    event = AuditEvent.objects.filter(action="job", object_type="audit.suspicion").get()
    assert event.actor == municipal_admin and event.new_values["counts"]["created"] == len(EXPECTED)


def test_the_scans_audit_event_reads_rule_names_not_codes(scenario, municipal_admin, client_for):
    """操作日志 showed a scan's counts as "CASH_OUT：9" (issue 11, finding 6): rule codes are data, not words."""
    fraud_scan(actor=municipal_admin, start=YEAR[0], end=YEAR[1])
    html = client_for(municipal_admin).get("/audit/events/", {"object_type": "audit.suspicion"}).content.decode()
    cash_out = FraudRule.objects.get(code="CASH_OUT").name
    assert f"新增疑点：{cash_out}：8" in html and f"新增疑点（合计）：{len(EXPECTED)}" in html
    assert "CASH_OUT" not in html and "fraud_scan" not in html and "批处理：" not in html
    assert "疑点筛查" in html


def test_command_runs_a_recorded_job(scenario, municipal_admin, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("fraud_scan", "--from", YEAR[0], "--to", YEAR[1], "--rule", "CASH_OUT", "--user", "admin_city")

    run = JobRun.objects.get(kind="fraud_scan")
    assert run.status == "succeeded" and run.counts == {"CASH_OUT": 8, "created": 8}
    assert (run.done, run.total, run.started_by) == (1, 1, municipal_admin)
    assert set(Suspicion.objects.values_list("scan_run_id", flat=True)) == {run.pk}
    assert capsys.readouterr().out.startswith(f"job {run.pk} ")
    with pytest.raises(CommandError, match="截止日期不能早于开始日期"):
        call_command("fraud_scan", "--from", YEAR[1], "--to", YEAR[0])
    assert JobRun.objects.filter(kind="fraud_scan").count() == 1


@pytest.mark.skipif(ON_SQLITE, reason="rules side by side need committed data and several connections (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_rules_side_by_side_find_exactly_the_same(scenario, settings):
    settings.YIBAO_BATCH_WORKERS = 2
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    assert hits() == EXPECTED
    assert counts["created"] == len(EXPECTED) == Suspicion.objects.count()
    assert fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])["created"] == 0


# --- issue 14, point 6: all rules in four passes, with the hits of the one-statement-per-rule builders --------


def rows() -> set[tuple]:
    return set(Suspicion.objects.values_list("rule_id", "settlement_id", "amount", "detail"))


def scan_matches_reference(start=YEAR[0], end=YEAR[1], rule_codes=None) -> set[tuple]:
    before = reference_hits(start=start, end=end, rule_codes=rule_codes)
    Suspicion.objects.all().delete()
    fraud_scan(actor=None, start=start, end=end, rule_codes=rule_codes)
    assert rows() == before
    return before


def test_the_passes_find_exactly_what_the_one_rule_statements_find(scenario):
    """Same settlements, amounts and details as the statements the passes replaced, for the seeded
    parameters and for others (parameters are data), over the year and over a part of it."""
    found = scan_matches_reference()
    assert {(r, s) for r, s, _, _ in found} == {
        (FraudRule.objects.get(code=code).pk, Settlement.objects.get(settlement_number=n).pk) for code, n in EXPECTED
    }
    scan_matches_reference(start="2023-01-01", end="2023-03-31")
    scan_matches_reference(start="2023-06-05", end="2023-09-10")
    FraudRule.objects.filter(code="SPLIT_ADMISSION").update(params={"days": 60, "same_institution": False})
    FraudRule.objects.filter(code="CASH_OUT").update(
        params={"window_days": 10, "min_purchases": 3, "benefit_types": ["pharmacy", "outpatient"]}
    )
    FraudRule.objects.filter(code="DUP_SETTLEMENT").update(params={"benefit_types": ["outpatient"]})
    FraudRule.objects.filter(code="OVER_CAP").update(params={"benefit_types": ["outpatient", "inpatient"]})
    FraudRule.objects.filter(code="GENDER_AGE").update(
        params={"female_only": ["N83"], "male_only": [], "child_only_prefixes": {"P": 18, "O": 2}}
    )
    changed = scan_matches_reference()
    assert len({(r, s) for r, s, _, _ in changed}) > len(EXPECTED)  # the wider parameters find more
    scan_matches_reference(start="2023-02-15", end="2023-09-15")


def test_over_cap_finds_a_group_whose_rows_have_different_caps(scenario):
    """A person's outpatient year under two policies (tier 2, cap 500.00, then tier 1, cap 300.00): the group's
    lowest cap is 300.00, and its total 350.00 is above it. The pass marks only the row whose own cap is below
    the total (M2), and must still read M1 again to sum the year: M2 is over by 50.00, as the one-rule statement
    finds."""
    tier2 = BenefitPolicy.objects.get(year=2023, scheme="resident", tier=2, benefit_type="outpatient", version=1)
    m = person()
    settle(m, Settlement.objects.get(settlement_number="O1").institution, "M1", "2023-03-01", total="500.00",
           pooled="250.00", policy=tier2)  # fmt: skip
    settle(m, Settlement.objects.get(settlement_number="O1").institution, "M2", "2023-03-05", total="200.00",
           pooled="100.00", policy=scenario["cap"])  # fmt: skip
    found = scan_matches_reference(rule_codes=["OVER_CAP"])
    m2 = Settlement.objects.get(settlement_number="M2").pk
    assert {(s, a) for _, s, a, _ in found if s in {m2, Settlement.objects.get(settlement_number="M1").pk}} == {
        (m2, D("50.00"))
    }


def test_two_rules_of_one_kind_keep_their_own_parameters(scenario):
    """A pass serves every rule; each rule's parameters are bound under its own names."""
    wide = FraudRule.objects.create(
        code="SPLIT_60", name="分解住院（60天）", kind="split_admission", params={"days": 60, "same_institution": False}
    )
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=["SPLIT_ADMISSION", "SPLIT_60"])

    assert counts == {"SPLIT_ADMISSION": 2, "SPLIT_60": 5, "created": 7}
    # I4 is 5 days after I3 at another hospital, C3 is the transfer after C2; I3 is 43 days after I2.
    assert {n for code, n in hits() if code == "SPLIT_60"} == {"I1", "I2", "I3", "I4", "C3"}
    Suspicion.objects.all().delete()
    scan_matches_reference(rule_codes=["SPLIT_ADMISSION", "SPLIT_60"])
    assert wide.pk in {r for r, _, _, _ in rows()}


@pytest.mark.parametrize(
    "codes",
    [["GENDER_AGE"], ["AFTER_END_OR_DEATH"], ["CASH_OUT"], ["OVER_CAP", "GENDER_AGE"], ["CONCURRENT_INPATIENT"]],
)
def test_a_scan_of_some_rules_runs_only_those(scenario, codes):
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=codes)

    expected = {(code, n) for code, n in EXPECTED if code in codes}
    assert hits() == expected
    assert counts == {**{c: sum(1 for code, _ in expected if code == c) for c in codes}, "created": len(expected)}


def test_all_rules_run_in_four_statements_none_reading_the_year_twice(scenario):
    """ "All rules in fewer passes": one INSERT for the rules about a person's settlements, one for the rules
    about hospital stays, one for the rules about one settlement, one for the cross-region rules, not one per
    rule. The person pass reads and sorts the year once, fetches the rows some rule keeps again by primary key,
    and the over-cap candidates' rows by person; the stay pass reads the stays once; the filter pass reads the
    settlements of the limited diagnosis codes (through their index on PostgreSQL) and fetches the settlements
    of the persons at risk by person; the away pass
    finds the persons with care elsewhere and fetches their settlements by person."""
    with CaptureQueriesContext(connection) as queries:
        fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    inserts = [q["sql"] for q in queries if "INSERT INTO audit_suspicion" in q["sql"]]
    assert len(inserts) == 4
    assert [sql.count("FROM benefits_settlement") for sql in inserts] == [3, 1, 2, 2]
    if not ON_SQLITE:
        plans = []
        for sql in inserts:
            with transaction.atomic(), connection.cursor() as cursor:
                pass_settings(cursor)
                cursor.execute("EXPLAIN " + sql)
                plans.append("\n".join(line for (line,) in cursor.fetchall()))
        person, stay, filtered, away = plans
        # One sort of the year by person that every window function shares (the other sorts are the rules'
        # own, over the kept rows), no nested loops.
        assert person.count(" on benefits_settlement ") == 3
        assert len(re.findall(r"Sort Key: (\w+)\.person_id, \1\.service_date, \1\.id\n", person + "\n")) == 1
        assert stay.count(" on benefits_settlement ") == 1
        # The read of the limited codes, and the settlements of the persons at risk (by person).
        assert filtered.count(" on benefits_settlement ") == 2
        # The persons elsewhere, then their settlements. (At 5M rows the first is the partial index
        # settlement_remote_idx and the second the person index: `bench_fraud_scan.py --trace`.)
        assert away.count(" on benefits_settlement ") == 2
        assert all("Nested Loop" not in plan for plan in plans)


@pytest.mark.skipif(ON_SQLITE, reason="planner settings are PostgreSQL's")
def test_a_scan_of_some_rules_sorts_the_year_instead_of_walking_the_person_index(scenario):
    """Without the over-cap rule the person pass reads no policy, and its narrow read is ordered by person in the
    person index: at 5M settlements PostgreSQL chose to walk it (every row fetched by itself, 38 s for these two
    rules instead of 7 s). A pass reads the year in one scan and sorts it whatever the statistics say."""
    rules = scan_rules(rule_codes=["CASH_OUT", "DUP_SETTLEMENT"])
    start, end = scan_window(start=YEAR[0], end=YEAR[1])
    (sql, values), *_ = scan_passes(rules=rules, start=start, end=end, run_id=None)
    with transaction.atomic(), connection.cursor() as cursor:
        pass_settings(cursor)
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("EXPLAIN " + sql, values)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert not re.search(r"Index Scan using \w+ on benefits_settlement", plan)
    assert len(re.findall(r"Sort Key: (\w+)\.person_id, \1\.service_date, \1\.id\n", plan + "\n")) == 1


@pytest.mark.skipif(ON_SQLITE, reason="the range form is PostgreSQL's; SQLite keeps LIKE")
def test_a_code_prefix_as_a_range_keeps_exactly_what_like_keeps(db):
    """The passes write a prefix p as p <= code < p' (COLLATE "C") so the diagnosis index can serve it; the
    one-rule statements write LIKE 'p%'. Both must keep the same codes, at the edges too."""
    codes = "O O0 O80 O99.9 OZZ N N3 N39.9 N40 N40.001 N41 N4 C5 C5. C5.1 C5/ C50 Z8Z Z9 Z99.9 Z: A0Y9 A0Z A0Z.1"
    codes = [*codes.split(" "), "A0[", "P00", "o80", ""]
    rows = ", ".join(f"(%(c{i})s)" for i in range(len(codes)))

    def kept(condition: str, values: dict) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.diagnosis_code FROM (VALUES {rows}) s(diagnosis_code) WHERE {condition} ORDER BY 1",
                {**values, **{f"c{i}": code for i, code in enumerate(codes)}},
            )
            return [code for (code,) in cursor.fetchall()]

    for prefix in ["O", "N40", "C5.", "Z9", "A0Z"]:
        ranged: dict = {}
        like: dict = {}
        as_range = _codes([prefix], "p", ranged, d=Dialect("postgresql"))
        as_like = _codes([prefix], "p", like)
        assert "LIKE" not in as_range and "LIKE" in as_like
        found = kept(as_range, ranged)
        assert found == kept(as_like, like)
        assert found and all(code.startswith(prefix) for code in found)


def _copies(n: int) -> None:
    """`n` more settlements of the year, copies of one the rules pass over: a code J0x no rule limits, each its
    own amount (no duplicates), no pooled fund or account money (no cap, no cash-out)."""
    template = (
        Settlement.objects.filter(diagnosis_code="", benefit_type="outpatient", pooled_paid=0, account_paid=0)
        .order_by("id")
        .first()
    )
    columns = [f.column for f in Settlement._meta.concrete_fields if f.column != "id"]
    copied = {
        "settlement_number": "'PLAN' || g",
        "diagnosis_code": "'J0' || (g %% 10)",
        "platform_number": "''",
        "total_cost": "total_cost + g * 0.01",
        "eligible_cost": "eligible_cost + g * 0.01",
        "out_of_pocket": "out_of_pocket + g * 0.01",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO benefits_settlement ({', '.join(columns)}) "  # noqa: S608  (model column names)
            f"SELECT {', '.join(copied.get(c, c) for c in columns)} "
            "FROM benefits_settlement, generate_series(1, %s) g WHERE id = %s",
            [n, template.pk],
        )


@pytest.mark.skipif(ON_SQLITE, reason="the index and the planner are PostgreSQL's")
@pytest.mark.parametrize("statistics", ["fresh", "analyzed while empty"])
def test_the_rule_about_one_settlement_reads_its_codes_through_the_diagnosis_index(scenario, statistics):
    """At 5M settlements the filter pass's scan testing every settlement's code was 1.8 s of its 3.2 s; the
    settlements whose code some rule limits are a fraction of a percent, read through settlement_diagnosis_idx
    (the code COLLATE "C"). The plan must not depend on the statistics: fresh, or taken while the table was
    empty (a new database)."""
    if statistics == "analyzed while empty":
        analyze_held("benefits_settlement")
    _copies(30_000)
    if statistics == "fresh":
        analyze_held("benefits_settlement")
    start, end = scan_window(start=YEAR[0], end=YEAR[1])
    (sql, values), *_ = scan_passes(rules=scan_rules(rule_codes=["GENDER_AGE"]), start=start, end=end, run_id=None)
    with transaction.atomic(), connection.cursor() as cursor:
        pass_settings(cursor)
        cursor.execute("EXPLAIN " + sql, values)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "settlement_diagnosis_idx" in plan, plan
    assert "Seq Scan on benefits_settlement" not in plan, plan
    # And the hits are the scenario's, not the 30,000 copies' (J0x is limited to no one).
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=["GENDER_AGE"])
    assert hits() == {(code, n) for code, n in EXPECTED if code == "GENDER_AGE"}


@pytest.fixture
def settlements_analyzed_while_empty(db):
    """The settlement table's statistics as a new database has them: ANALYZE ran while it was empty."""
    analyze_held("benefits_settlement")


@pytest.mark.skipif(ON_SQLITE, reason="the planner is PostgreSQL's")
def test_on_statistics_of_an_empty_table_no_pass_reads_the_status_or_the_day_indexes(
    settlements_analyzed_while_empty, scenario
):
    """With no statistics PostgreSQL takes any condition for selective: every pass read the status index (a
    bitmap of the whole year, "settled" is almost every row) and, once that was written so no index serves it,
    the (institution, day) index for the pass's dates. At 5M settlements the scan took 16.5 s instead of 10. A
    pass reads the year by a scan, or fetches through the one index it names: person, diagnosis code, care
    elsewhere."""
    _copies(30_000)
    start, end = scan_window(start=YEAR[0], end=YEAR[1])
    passes = scan_passes(rules=scan_rules(rule_codes=None), start=start, end=end, run_id=None)
    plans = []
    for sql, values in passes:
        with transaction.atomic(), connection.cursor() as cursor:
            pass_settings(cursor)
            cursor.execute("EXPLAIN " + sql, values)
            plans.append("\n".join(line for (line,) in cursor.fetchall()))
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'benefits_settlement'")
        settlement_indexes = {name for (name,) in cursor.fetchall()}
    named = {"settlement_person_idx", "benefits_settlement_person_id_8ac80f57", "settlement_diagnosis_idx",
             "settlement_remote_idx"}  # fmt: skip
    assert named <= settlement_indexes and "settlement_status_idx" in settlement_indexes
    for plan in plans:
        # (The persons and enrollments are read as their own statistics say: only the settlements' reads are
        # pinned here.)
        used = set(re.findall(r"Index Scan on (\w+)", plan)) & settlement_indexes
        assert used <= named, plan
    person, stay, _filtered, _away = plans
    assert "Seq Scan on benefits_settlement" in person and "Seq Scan on benefits_settlement" in stay
    # And the scan still finds exactly the scenario's hits.
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    assert hits() == EXPECTED
