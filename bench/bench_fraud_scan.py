"""疑点筛查 at city scale: every fraud rule over one year of N settlements (default 5,000,000).

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_fraud_scan.py --settlements 5000000

Builds, in a throw-away database and with set-based SQL only, N/5 insured people (a third employees,
1 in 1,000 dead mid-year, 1 in 500 with coverage ended mid-year), 200 hospitals and 300 pharmacies, and
N settlements over 2023 (50% outpatient, 10% inpatient, 35% personal-account pharmacy, 5% chronic;
1% reversed; a few diagnosis codes the gender/age rule reads), then deliberate hits on top: duplicated
settlements, pharmacy cash-out runs, over-cap inpatient stays. It times `fraud_scan` over the year rule by
rule, then all rules again (must add nothing). Target: all rules in < 60 s.
"""

import argparse
import json
import time

from _db import bench_database, peak_rss_mb

TARGET_SECONDS = 60.0
HOSPITALS, PHARMACIES = 200, 300


def _one(c, sql: str, params=None):
    c.execute(sql, params or [])
    return c.fetchone()[0]


def build(n: int) -> None:
    from django.conf import settings
    from django.db import connection

    from benefits.models import BenefitPolicy
    from benefits.services import benefit_policy_load

    if not BenefitPolicy.objects.filter(year=2023).exists():
        path = settings.BASE_DIR / "benefits/reference/policy_2023.json"
        benefit_policy_load(actor=None, document=json.loads(path.read_text(encoding="utf-8")))
    people = max(n // 5, 1000) + 1  # not a multiple of 20 or 365: each person gets a mix of types and days
    with connection.cursor() as c:
        district = _one(c, "SELECT id FROM core_district WHERE code = '500103'")
        policy = {}
        for scheme in ("resident", "employee"):
            for kind in ("outpatient", "chronic", "inpatient", "pharmacy"):
                sql = "SELECT MIN(id) FROM benefits_benefitpolicy WHERE year = 2023 AND benefit_type = %s"
                policy[scheme, kind] = _one(c, sql + " AND scheme = %s", [kind, scheme]) or _one(c, sql, [kind])
        c.execute(
            """
            INSERT INTO enrollment_person
                (id_number, name, gender, birth_date, phone, district_id, death_date, created_at, updated_at)
            SELECT '500103' || lpad(g::text, 12, '0'), '参保人' || g, CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END,
                   DATE '1950-01-01' + (g * 7 %% 25000), '', %s,
                   CASE WHEN g %% 1000 = 0 THEN DATE '2023-07-01' END, now(), now()
            FROM generate_series(0, %s - 1) g
            """,
            [district, people],
        )
        p0 = _one(c, "SELECT MIN(id) FROM enrollment_person")
        c.execute(
            """
            INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
                start_date, end_date, status, end_reason, created_at, updated_at)
            SELECT p.id, s.scheme, CASE WHEN s.scheme = 'employee' THEN 'active' ELSE 'adult' END,
                   CASE WHEN s.scheme = 'resident' THEN 1 END, p.district_id,
                   CASE WHEN s.scheme = 'employee' THEN 6000 END, DATE '2020-01-01',
                   CASE WHEN (p.id - %(p0)s) %% 500 = 1 THEN DATE '2023-06-30' END,
                   CASE WHEN (p.id - %(p0)s) %% 500 = 1 THEN 'terminated' ELSE 'active' END,
                   CASE WHEN (p.id - %(p0)s) %% 500 = 1 THEN 'other' ELSE '' END, now(), now()
            FROM enrollment_person p
            CROSS JOIN LATERAL (SELECT CASE WHEN (p.id - %(p0)s) %% 3 = 0 THEN 'employee' ELSE 'resident' END) s(scheme)
            ORDER BY p.id
            """,
            {"p0": p0},
        )
        e0 = _one(c, "SELECT MIN(id) FROM enrollment_enrollment")
        assert _one(c, "SELECT MAX(id) - MIN(id) + 1 FROM enrollment_enrollment") == people
        c.execute(
            """
            INSERT INTO benefits_institution (code, name, kind, level, district_id, agreement_status,
                agreement_start, created_at, updated_at)
            SELECT CASE WHEN g <= %(h)s THEN 'H' ELSE 'P' END || '500103' || lpad(g::text, 5, '0'),
                   '机构' || g, CASE WHEN g <= %(h)s THEN 'hospital' ELSE 'pharmacy' END,
                   CASE WHEN g <= %(h)s THEN g %% 3 + 1 ELSE 0 END, %(d)s, 'active', DATE '2020-01-01', now(), now()
            FROM generate_series(1, %(h)s + %(p)s) g
            """,
            {"h": HOSPITALS, "p": PHARMACIES, "d": district},
        )
        i0 = _one(c, "SELECT MIN(id) FROM benefits_institution")
        values = {
            "n": n,
            "people": people,
            "p0": p0,
            "e0": e0,
            "i0": i0,
            "h": HOSPITALS,
            "ph": PHARMACIES,
            "d": district,
        }
        values |= {f"{s[0]}_{k}": v for (s, k), v in policy.items()}
        c.execute(SETTLEMENTS, values)
        deliberate(c, values)
        c.execute("ANALYZE")


# One row per g: the person, the benefit type (g % 20), the institution and the amounts follow from g.
SETTLEMENTS = """
INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
    district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year,
    total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid, out_of_pocket,
    aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason, created_at, updated_at)
SELECT CASE WHEN t.kind = 'pharmacy' THEN %(i0)s + %(h)s + g %% %(ph)s ELSE %(i0)s + g %% %(h)s END,
       'B' || g, 'direct', CASE WHEN g %% 100 = 99 THEN 'reversed' ELSE 'settled' END,
       %(p0)s + x.pi, %(e0)s + x.pi, %(d)s, x.scheme, t.kind,
       CASE WHEN t.kind = 'pharmacy' THEN 0 ELSE g %% %(h)s %% 3 + 1 END,
       CASE g %% 1000 WHEN 0 THEN 'O80' WHEN 1 THEN 'N40' WHEN 2 THEN 'P07.3' WHEN 3 THEN 'N83.2' ELSE 'J06.9' END,
       DATE '2023-01-01' + (g %% 365)::int,
       CASE WHEN t.kind = 'inpatient' THEN DATE '2023-01-01' + (g %% 365 + 3 + g %% 10)::int END, 2023,
       a.total, a.total, 0, a.pooled, 0, 0, a.account, a.total - a.pooled - a.account,
       false,
       CASE WHEN x.scheme = 'employee' THEN
            CASE t.kind WHEN 'outpatient' THEN %(e_outpatient)s WHEN 'chronic' THEN %(e_chronic)s
                        WHEN 'inpatient' THEN %(e_inpatient)s ELSE %(e_pharmacy)s END
       ELSE CASE t.kind WHEN 'outpatient' THEN %(r_outpatient)s WHEN 'chronic' THEN %(r_chronic)s
                        WHEN 'inpatient' THEN %(r_inpatient)s ELSE %(r_pharmacy)s END END,
       '[]', '', now(), '', now(), now()
FROM generate_series(1::bigint, %(n)s) g
CROSS JOIN LATERAL (SELECT (g * 7919) %% %(people)s AS pi,
                           CASE WHEN (g * 7919) %% %(people)s %% 3 = 0 THEN 'employee' ELSE 'resident' END AS scheme) x
CROSS JOIN LATERAL (SELECT CASE WHEN g %% 20 < 10 THEN 'outpatient' WHEN g %% 20 < 12 THEN 'inpatient'
                                WHEN g %% 20 < 19 THEN 'pharmacy' ELSE 'chronic' END AS kind) t
CROSS JOIN LATERAL (SELECT
    CASE t.kind WHEN 'inpatient' THEN 3000 + g %% 20000 WHEN 'pharmacy' THEN 20 + g %% 180
                ELSE 50 + g %% 100 END::numeric AS total) b
CROSS JOIN LATERAL (SELECT b.total,
    CASE t.kind WHEN 'inpatient' THEN ROUND(b.total * 0.6, 2) WHEN 'pharmacy' THEN 0 ELSE ROUND(b.total * 0.3, 2) END
        AS pooled,
    CASE WHEN t.kind = 'pharmacy' THEN b.total ELSE 0 END AS account) a
"""


def deliberate(c, v: dict) -> None:
    """Known hits on top of the random mix: 2,000 duplicates, 1,000 cash-out runs, 500 over-cap stays."""
    c.execute(
        """
        INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
            district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year,
            total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid,
            out_of_pocket, aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason,
            created_at, updated_at)
        SELECT institution_id, settlement_number || 'D', kind, status, person_id, enrollment_id, district_id, scheme,
            benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year, total_cost,
            eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid, out_of_pocket,
            aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason, created_at, updated_at
        FROM benefits_settlement WHERE benefit_type = 'outpatient' AND status = 'settled' AND id %% 1000 = 0
        ORDER BY id LIMIT 2000
        """,
        v,
    )
    c.execute(
        """
        INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
            district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, year, total_cost,
            eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid, out_of_pocket,
            aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason, created_at, updated_at)
        SELECT %(i0)s + %(h)s + r %% %(ph)s, 'C' || r || '-' || k, 'direct', 'settled', %(p0)s + r * 3,
            %(e0)s + r * 3, %(d)s, 'employee', 'pharmacy', 0, '', DATE '2023-03-01' + 2 * k, 2023, 200, 200, 0, 0,
            0, 0, 200, 0, false, %(e_pharmacy)s, '[]', '', now(), '', now(), now()
        FROM generate_series(1, 1000) r CROSS JOIN generate_series(0, 9) k
        """,
        v,
    )
    # 500 split admissions (re-admitted 7 days after discharge) and 500 overlapping stays at two hospitals.
    c.execute(
        """
        INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
            district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year,
            total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid,
            out_of_pocket, aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason,
            created_at, updated_at)
        SELECT %(i0)s + (r + k * (r %% 2)) %% %(h)s, 'S' || r || '-' || k, 'direct', 'settled', %(p0)s + r * 7 + 2,
            %(e0)s + r * 7 + 2, %(d)s, 'resident', 'inpatient', 1, '',
            CASE WHEN r %% 2 = 0 THEN DATE '2023-05-01' + 12 * k ELSE DATE '2023-06-01' + 2 * k END,
            CASE WHEN r %% 2 = 0 THEN DATE '2023-05-05' + 12 * k ELSE DATE '2023-06-10' - 3 * k END, 2023,
            5000, 5000, 0, 3000, 0, 0, 0, 2000, false, %(r_inpatient)s, '[]', '', now(), '', now(), now()
        FROM generate_series(1, 1000) r CROSS JOIN generate_series(0, 1) k
        """,
        v,
    )
    c.execute(
        """
        INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
            district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year,
            total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid,
            out_of_pocket, aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason,
            created_at, updated_at)
        SELECT %(i0)s + r %% %(h)s, 'X' || r, 'direct', 'settled', %(p0)s + r * 5 + 1, %(e0)s + r * 5 + 1, %(d)s,
            'resident', 'inpatient', r %% %(h)s %% 3 + 1, '', DATE '2023-11-01', DATE '2023-11-20', 2023, 250000,
            250000, 0, 200000, 0, 0, 0, 50000, false, %(r_inpatient)s, '[]', '', now(), '', now(), now()
        FROM generate_series(1, 500) r
        """,
        v,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settlements", type=int, default=5_000_000)
    n = parser.parse_args().settlements
    with bench_database("yibao_bench_fraud"):
        from audit.fraud import fraud_scan
        from audit.models import FraudRule, Suspicion
        from benefits.models import Settlement

        t = time.perf_counter()
        build(n)
        total_rows = Settlement.objects.count()
        print(f"built {total_rows:,} settlements in {time.perf_counter() - t:.1f} s")

        timings, hits = {}, {}
        for code in FraudRule.objects.filter(active=True).order_by("code").values_list("code", flat=True):
            t = time.perf_counter()
            counts = fraud_scan(actor=None, start="2023-01-01", end="2023-12-31", rule_codes=[code])
            timings[code], hits[code] = time.perf_counter() - t, counts[code]
            print(f"  {code:<22} {timings[code]:6.1f} s  {hits[code]:>8,} hits")
        scan = sum(timings.values())
        t = time.perf_counter()
        again = fraud_scan(actor=None, start="2023-01-01", end="2023-12-31")
        rerun = time.perf_counter() - t
        assert again["created"] == 0 and Suspicion.objects.count() == sum(hits.values())
        print(f"all rules: {scan:.1f} s = {total_rows / scan:,.0f} settlements/s, {sum(hits.values()):,} suspicions")
        print(f"re-run (adds 0): {rerun:.1f} s")
        print(f"ratio to the {TARGET_SECONDS:.0f} s target: {scan / TARGET_SECONDS:.2f} (must be < 1)")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
