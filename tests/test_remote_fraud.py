"""疑点筛查 across regions (issue 16, point 7: "the same stay settled both directly and by manual reimbursement;
settlements at home and elsewhere on overlapping dates"; 004: "推动医保基金监管异地协查").

Every settlement here is made by the settlement service (care elsewhere with `remote=`, as the cross-region
platform and the 零星报销 page make them); a real scan then names exactly which are hit, with the near
misses (adjacent days, a transfer on the discharge day, reversed settlements, two visits on one day) beside them.
"""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from audit.fraud import fraud_scan, reference_hits
from audit.fraud_sql import BUILDERS
from audit.models import FraudRule, Suspicion
from benefits.models import Settlement
from benefits.remote_selectors import remote_terms_for
from benefits.services import SettlementRequest, institution_elsewhere, settlement_create, settlement_reverse
from core.models import AuditEvent
from core.roles import Role
from tests.benefits_support import resident
from tests.fraud_support import YEAR, hits

pytestmark = pytest.mark.django_db
D = Decimal
RULES = ["REMOTE_DIRECT_MANUAL", "HOME_REMOTE_OVERLAP"]
CHENGDU = "510100"


def seed_remote_rules() -> dict[str, FraudRule]:
    """The rules migration 0012 seeds (again: a transactional test may have emptied every table)."""
    importlib.import_module("audit.migrations.0004_seed_fraud_rules").seed(apps, None)
    importlib.import_module("audit.migrations.0012_remote_fraud_rules").seed(apps, None)
    return {r.code: r for r in FraudRule.objects.filter(code__in=RULES)}


class Clinic:
    """Settles claims the way each channel does: our hospitals directly (the system), the platform directly
    elsewhere, the district clerk by 零星报销 in the city or elsewhere."""

    def __init__(self, *, hospital, clerk, platform):
        self.hospital, self.clerk, self.platform = hospital, clerk, platform
        self.elsewhere = institution_elsewhere(
            code="H51010700012", name="成都市第七人民医院", level=2, area_code=CHENGDU, on=dt.date(2023, 1, 1)
        )
        self.platform_seq = 0

    def settle(self, person, number, day, *, discharge=None, elsewhere=False, manual=False) -> Settlement:
        service = dt.date.fromisoformat(day)
        inpatient = discharge is not None
        request = SettlementRequest(
            settlement_number=number, id_number=person.id_number,
            benefit_type="inpatient" if inpatient else "outpatient", service_date=service,
            discharge_date=dt.date.fromisoformat(discharge) if inpatient else None,
            total_cost=D("3000.00") if inpatient else D("150.00"),
            eligible_cost=D("2000.00") if inpatient else D("120.00"), use_account=False,
        )  # fmt: skip
        kind = Settlement.Kind.MANUAL if manual else Settlement.Kind.DIRECT
        if not elsewhere:
            actor = self.clerk if manual else None
            return settlement_create(actor=actor, institution=self.hospital, request=request, kind=kind)[0]
        self.platform_seq += 1
        platform_number = "" if manual else f"KS{self.platform_seq:06d}"

        def terms(who):
            return remote_terms_for(
                person_id=who.pk, on=service, care_area_code=CHENGDU, platform_number=platform_number
            )

        actor = self.clerk if manual else self.platform
        return settlement_create(actor=actor, institution=self.elsewhere, request=request, kind=kind, remote=terms)[0]


@pytest.fixture
def clinic(policy_2023, hospital_yz, clerk_yuzhong, make_user):
    return Clinic(hospital=hospital_yz, clerk=clerk_yuzhong, platform=make_user("platform", Role.REMOTE_PLATFORM))


@pytest.fixture
def scenario(clinic):
    """Cases of each rule and the near misses next to them; settlement numbers say what they are."""
    rules = seed_remote_rules()
    c = clinic
    # 异地直接结算与零星报销重复
    p1 = resident()
    c.settle(p1, "R1", "2023-03-01", discharge="2023-03-10", elsewhere=True)
    c.settle(p1, "M1", "2023-03-01", discharge="2023-03-10", elsewhere=True, manual=True)  # hit: the same stay
    p2 = resident()
    c.settle(p2, "R2", "2023-04-01", discharge="2023-04-10", elsewhere=True)
    c.settle(p2, "M2", "2023-04-11", discharge="2023-04-15", elsewhere=True, manual=True)  # the next day: no
    p3 = resident()
    r3 = c.settle(p3, "R3", "2023-05-01", discharge="2023-05-10", elsewhere=True)
    settlement_reverse(actor=None, settlement=r3, reason="平台冲正")
    c.settle(p3, "M3", "2023-05-01", discharge="2023-05-10", elsewhere=True, manual=True)  # partner reversed: no
    p4 = resident()
    c.settle(p4, "R4", "2023-06-05", elsewhere=True)
    c.settle(p4, "M4", "2023-06-05", manual=True)  # hit (manual in the city, the same day as a direct elsewhere)
    # 本地与异地就医日期重叠
    p6 = resident()
    c.settle(p6, "H6", "2023-03-01", discharge="2023-03-10")
    c.settle(p6, "R6", "2023-03-05", discharge="2023-03-12", elsewhere=True)  # hit: later, overlapping stay
    p7 = resident()
    c.settle(p7, "R7", "2023-04-01", discharge="2023-04-10", elsewhere=True)
    c.settle(p7, "O7", "2023-04-05")  # hit: an outpatient day at home inside the stay elsewhere
    c.settle(p7, "O7B", "2023-04-10")  # the discharge day: no
    c.settle(p7, "O7C", "2023-04-01")  # the admission day: hit
    p8 = resident()
    c.settle(p8, "H8", "2023-05-01", discharge="2023-05-10")
    c.settle(p8, "R8", "2023-05-10", discharge="2023-05-15", elsewhere=True)  # transfer on the discharge day: no
    c.settle(p8, "O8", "2023-05-16")  # after both stays: no
    p9 = resident()
    c.settle(p9, "H9", "2023-06-01", discharge="2023-06-10")
    r9 = c.settle(p9, "R9", "2023-06-05", discharge="2023-06-08", elsewhere=True)
    settlement_reverse(actor=None, settlement=r9, reason="平台冲正")  # reversed: neither is hit
    p10 = resident()
    c.settle(p10, "O10", "2023-08-01")
    c.settle(p10, "O10B", "2023-08-01", elsewhere=True)  # two visits on one day, no stay: no
    p5 = resident()
    c.settle(p5, "M5", "2023-07-01", discharge="2023-07-10", elsewhere=True, manual=True)
    c.settle(p5, "H5", "2023-07-05", discharge="2023-07-08")  # hit: home stay inside a reimbursed stay elsewhere
    return rules


EXPECTED = {
    ("REMOTE_DIRECT_MANUAL", "M1"),
    ("REMOTE_DIRECT_MANUAL", "M4"),
    ("HOME_REMOTE_OVERLAP", "R6"),
    ("HOME_REMOTE_OVERLAP", "O7"),
    ("HOME_REMOTE_OVERLAP", "O7C"),
    ("HOME_REMOTE_OVERLAP", "H5"),
}


def row(number: str) -> Suspicion:
    return Suspicion.objects.select_related("settlement").get(settlement__settlement_number=number)


def test_each_remote_rule_hits_exactly_its_cases(scenario):
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=RULES)
    assert hits() == EXPECTED
    assert counts == {"HOME_REMOTE_OVERLAP": 4, "REMOTE_DIRECT_MANUAL": 2, "created": 6}


def test_details_name_the_other_settlement_and_amounts_are_the_fund_share(scenario):
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=RULES)
    m1 = row("M1")
    assert m1.detail == "同一就医已在异地直接结算（结算单 R1），又办理零星报销"
    s = m1.settlement
    assert m1.amount == s.pooled_paid + s.critical_paid + s.aid_paid + s.account_paid > 0
    assert (m1.person_id, m1.district_id, m1.service_date) == (s.person_id, s.district_id, dt.date(2023, 3, 1))
    assert "R4" in row("M4").detail
    assert row("R6").detail == "与本地结算 H6 的就医日期重叠"
    assert row("O7").detail == "与异地就医结算 R7 的就医日期重叠"
    assert row("H5").detail == "与异地就医结算 M5 的就医日期重叠"


def test_a_full_scan_runs_the_seeded_remote_rules_too(scenario):
    """The migration seeds both rules active, so the nightly scan (all active rules) includes them."""
    assert {r.kind for r in scenario.values()} == {"remote_direct_and_manual", "home_and_remote_overlap"}
    assert all(r.active for r in scenario.values())
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    assert counts["REMOTE_DIRECT_MANUAL"] == 2 and counts["HOME_REMOTE_OVERLAP"] == 4
    assert hits() >= EXPECTED
    # Overlapping stays at two hospitals are also 跨机构同时住院; the remote rules add the cross-region view.
    assert {n for code, n in hits() if code == "CONCURRENT_INPATIENT"} >= {"H6", "R6"}


def test_a_second_scan_adds_nothing_and_the_window_is_respected(scenario):
    march = fraud_scan(actor=None, start="2023-03-01", end="2023-03-31", rule_codes=RULES)
    assert march == {"HOME_REMOTE_OVERLAP": 1, "REMOTE_DIRECT_MANUAL": 1, "created": 2}
    assert hits() == {("REMOTE_DIRECT_MANUAL", "M1"), ("HOME_REMOTE_OVERLAP", "R6")}
    whole = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=RULES)
    assert whole["created"] == 4
    again = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=RULES)
    assert again["created"] == 0 and Suspicion.objects.count() == 6


def test_reversing_the_partner_before_the_scan_clears_the_hit(scenario, clinic):
    m1_partner = Settlement.objects.get(settlement_number="R1")
    settlement_reverse(actor=None, settlement=m1_partner, reason="平台冲正")
    fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=RULES)
    assert ("REMOTE_DIRECT_MANUAL", "M1") not in hits()
    assert hits() == EXPECTED - {("REMOTE_DIRECT_MANUAL", "M1")}


def test_rule_params_are_data_and_validated(scenario):
    rule = scenario["HOME_REMOTE_OVERLAP"]
    rule.params = {"benefit_types": ["inpatient"]}  # only stays are checked as the hit
    rule.save()
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=["HOME_REMOTE_OVERLAP"])
    assert counts == {"HOME_REMOTE_OVERLAP": 2, "created": 2}
    assert hits() == {("HOME_REMOTE_OVERLAP", "R6"), ("HOME_REMOTE_OVERLAP", "H5")}

    events = AuditEvent.objects.count()
    for bad in ({"benefit_types": ["dental"]}, {"benefit_types": "inpatient"}, {"benefit_types": []}):
        rule.params = bad
        rule.save()
        with pytest.raises(ValidationError) as refused:
            fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=["HOME_REMOTE_OVERLAP"])
        assert "规则 HOME_REMOTE_OVERLAP 参数错误" in str(refused.value)
    assert Suspicion.objects.count() == 2 and AuditEvent.objects.count() == events


def test_the_builders_are_registered_for_the_kinds():
    assert BUILDERS["remote_direct_and_manual"] and BUILDERS["home_and_remote_overlap"]
    assert {"remote_direct_and_manual", "home_and_remote_overlap"} <= set(FraudRule.Kind.values)


def test_the_migration_seeds_and_unseeds(db):
    """Reversible: the reverse removes the rules no suspicion refers to."""
    module = importlib.import_module("audit.migrations.0012_remote_fraud_rules")
    module.seed(apps, None)
    module.seed(apps, None)  # idempotent
    assert FraudRule.objects.filter(code__in=RULES).count() == 2
    module.unseed(apps, None)
    assert not FraudRule.objects.filter(code__in=RULES).exists()
    module.seed(apps, None)
    rule = FraudRule.objects.get(code="HOME_REMOTE_OVERLAP")
    assert "可配置默认值" in rule.description and rule.params == {"benefit_types": module.BENEFIT_TYPES}


def test_the_shared_pass_finds_what_the_one_rule_statements_find(scenario):
    """Issue 14, point 6: both cross-region rules run in one pass (the away pass: the persons with care elsewhere,
    their settlements by person); it finds the same settlements, amounts and details as the statements it
    replaced, over the year and over a part of it."""
    for start, end in (YEAR, ("2023-03-01", "2023-04-30"), ("2023-06-05", "2023-07-31")):
        before = reference_hits(start=start, end=end)
        Suspicion.objects.all().delete()
        fraud_scan(actor=None, start=start, end=end)
        assert set(Suspicion.objects.values_list("rule_id", "settlement_id", "amount", "detail")) == before
    rule = scenario["HOME_REMOTE_OVERLAP"]
    rule.params = {"benefit_types": ["outpatient"]}
    rule.save()
    before = reference_hits(start=YEAR[0], end=YEAR[1], rule_codes=RULES)
    Suspicion.objects.all().delete()
    assert fraud_scan(actor=None, start=YEAR[0], end=YEAR[1], rule_codes=RULES) == {
        "HOME_REMOTE_OVERLAP": 2, "REMOTE_DIRECT_MANUAL": 2, "created": 4,
    }  # fmt: skip
    assert set(Suspicion.objects.values_list("rule_id", "settlement_id", "amount", "detail")) == before
