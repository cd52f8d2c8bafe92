"""异地就医清算 at scale: one month's clearing of N settlements of care elsewhere (default 1,000,000).

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_remote_clearing.py [--rows 1000000] [--keep]

Builds, with set-based SQL in a throw-away database (bench_h16c), 70% of N outbound direct settlements (our
insured treated in one of 20 areas elsewhere, settled in May 2023, 1% of them reversed in May too) and 30% of
N inbound settlements (patients of those 20 areas at our hospitals, 1% reversed), all in May 2023.

Then it times `clearing_generate` for May (every area: upsert the statement, INSERT..SELECT its lines, one
UPDATE for its totals, a transaction per area), a second run (redrafts the drafts to the same figures), and
`clearing_reconcile` for May (must find nothing). The floor, in the same run: one plain GROUP BY per table
over the same rows (SELECT area, SUM(...), COUNT(*) ... GROUP BY area), nothing else; the ratio floor/product
says how close the product comes to merely reading the rows. Target: generate < 30 s at 1M (issue 16).
"""

import argparse
import datetime as dt
import os
import time

from _db import bench_database, peak_rss_mb, scalar

TARGET_SECONDS = 30.0
TARGET_ROWS = 1_000_000
NAME = "bench_h16c"
PEOPLE = 100_000
MONTH = dt.date(2023, 5, 1)
# 20 provinces elsewhere, as counterpart areas.
AREAS = [f"{p}0000" for p in ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
                              "41", "42", "43", "44", "51")]  # fmt: skip


PERSONS = """
INSERT INTO enrollment_person (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
SELECT '5002' || lpad(g::text, 14, '0'), '参保人' || g, CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END,
       DATE '1950-01-01' + (g * 7 %% 25000)::int, '', (%(districts)s::bigint[])[1 + g %% %(nd)s], now(), now()
FROM generate_series(0, %(people)s - 1) g ORDER BY g
"""
ENROLLMENTS = """
INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base,
    start_date, status, end_reason, created_at, updated_at)
SELECT p.id, CASE WHEN (p.id - %(p0)s) %% 4 = 0 THEN 'employee' ELSE 'resident' END,
       CASE WHEN (p.id - %(p0)s) %% 4 = 0 THEN 'active' ELSE 'adult' END,
       CASE WHEN (p.id - %(p0)s) %% 4 = 0 THEN NULL ELSE 1 END, p.district_id,
       CASE WHEN (p.id - %(p0)s) %% 4 = 0 THEN 6000 END, DATE '2022-01-01', 'active', '', now(), now()
FROM enrollment_person p ORDER BY p.id
"""
# One hospital in each area elsewhere (no district), and one of ours per district (the inbound side).
INSTITUTIONS = """
INSERT INTO benefits_institution (code, name, kind, level, district_id, area_code, agreement_status,
    agreement_start, on_inspection_list, credit_measure_reason, created_at, updated_at)
SELECT 'H' || a.code || '00001', a.code || '人民医院', 'hospital', 3, NULL, a.code, 'active', DATE '2020-01-01',
       FALSE, '', now(), now()
FROM unnest(%(areas)s::text[]) WITH ORDINALITY a(code, n)
UNION ALL
SELECT 'H500100' || lpad(d.n::text, 5, '0'), '本市医院' || d.n, 'hospital', 2, d.id, '', 'active',
       DATE '2020-01-01', FALSE, '', now(), now()
FROM unnest(%(districts)s::bigint[]) WITH ORDINALITY d(id, n)
"""
# Settlement g: person g * 7919 mod PEOPLE, area g mod 20, settled at a second of May 2023 (Shanghai) that
# crosses midnight UTC; 1 in 100 reversed two hours later (still May: the day is at most the 30th).
OUTBOUND = """
INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
    district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year,
    total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid, out_of_pocket,
    aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversed_at, reversal_reason, care_area_code,
    remote_rule, ratio_reduction, platform_number, created_at, updated_at)
SELECT %(h0)s + x.a, 'R' || g, 'direct', CASE WHEN g %% 100 = 99 THEN 'reversed' ELSE 'settled' END,
       %(p0)s + x.pi, %(e0)s + x.pi, (%(districts)s::bigint[])[1 + x.pi %% %(nd)s],
       CASE WHEN x.pi %% 4 = 0 THEN 'employee' ELSE 'resident' END, 'inpatient', 3, 'J18.9',
       DATE '2023-04-20' + (g %% 10)::int, DATE '2023-04-25' + (g %% 10)::int, 2023,
       b.total, b.total, 800, a.pooled, a.critical, a.aid, 0, b.total - a.pooled - a.critical - a.aid,
       a.aid > 0, CASE WHEN x.pi %% 4 = 0 THEN %(pol_e)s ELSE %(pol_r)s END, '[]', '', d.settled_at,
       CASE WHEN g %% 100 = 99 THEN d.settled_at + INTERVAL '2 hours' END,
       CASE WHEN g %% 100 = 99 THEN '平台撤销' ELSE '' END,
       (%(areas)s::text[])[1 + x.a], 'unfiled', 0.2, 'PF' || g, now(), now()
FROM generate_series(1::bigint, %(out)s) g
CROSS JOIN LATERAL (SELECT (g * 7919) %% %(people)s AS pi, (g %% 20)::int AS a) x
CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '2023-05-01 00:00:00+08' + (g %% 30) * INTERVAL '1 day'
                           + (g * 97 %% 79200) * INTERVAL '1 second' AS settled_at) d
CROSS JOIN LATERAL (SELECT (3000 + g %% 20000)::numeric(12, 2) AS total) b
CROSS JOIN LATERAL (SELECT ROUND((b.total - 800) * 0.4, 2) AS pooled,
    CASE WHEN g %% 40 < 5 THEN ROUND(b.total * 0.1, 2) ELSE 0 END AS critical,
    CASE WHEN g %% 100 < 3 THEN ROUND(b.total * 0.05, 2) ELSE 0 END AS aid) a
"""
INBOUND = """
INSERT INTO benefits_inboundsettlement (platform_number, institution_id, district_id, insured_area_code,
    id_number, name, scheme, benefit_type, service_date, discharge_date, year, total_cost, eligible_cost, terms,
    pooled_paid, critical_paid, out_of_pocket, steps, request_fingerprint, status, settled_at, reversed_at,
    reversal_reason, created_at, updated_at)
SELECT 'PI' || g, %(h0)s + 20 + (g %% %(nd)s), (%(districts)s::bigint[])[1 + g %% %(nd)s],
       (%(areas)s::text[])[1 + (g %% 20)::int], '11010119800101' || lpad((g %% 10000)::text, 4, '0'),
       '外地参保人' || g, CASE WHEN g %% 3 = 0 THEN 'employee' ELSE 'resident' END, 'inpatient',
       DATE '2023-04-20' + (g %% 10)::int, DATE '2023-04-25' + (g %% 10)::int, 2023, b.total, b.total, '{}',
       ROUND(b.total * 0.5, 2), CASE WHEN g %% 50 = 0 THEN ROUND(b.total * 0.1, 2) ELSE 0 END,
       b.total - ROUND(b.total * 0.5, 2) - CASE WHEN g %% 50 = 0 THEN ROUND(b.total * 0.1, 2) ELSE 0 END,
       '[]', '', CASE WHEN g %% 100 = 42 THEN 'reversed' ELSE 'settled' END, d.settled_at,
       CASE WHEN g %% 100 = 42 THEN d.settled_at + INTERVAL '3 hours' END, '', now(), now()
FROM generate_series(1::bigint, %(inb)s) g
CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '2023-05-01 00:00:00+08' + (g %% 30) * INTERVAL '1 day'
                           + (g * 89 %% 75600) * INTERVAL '1 second' AS settled_at) d
CROSS JOIN LATERAL (SELECT (2000 + g %% 15000)::numeric(12, 2) AS total) b
"""


def build(n: int) -> dict:
    from django.db import connection, transaction

    from benefits.models import BenefitPolicy
    from core.models import District

    outbound, inbound = n * 7 // 10, n - n * 7 // 10
    with transaction.atomic(), connection.cursor() as c:
        districts = list(District.objects.order_by("code").values_list("pk", flat=True))
        v = {"districts": districts, "nd": len(districts), "areas": AREAS, "people": PEOPLE, "out": outbound,
             "inb": inbound}  # fmt: skip
        # Any policy row will do for the foreign key: the clearing reads amounts, not the policy.
        policy = BenefitPolicy.objects.order_by("pk").first()
        if policy is None:
            import json

            from django.conf import settings

            from benefits.services import benefit_policy_load

            path = settings.BASE_DIR / "benefits/reference/policy_2023.json"
            benefit_policy_load(actor=None, document=json.loads(path.read_text(encoding="utf-8")))
            policy = BenefitPolicy.objects.order_by("pk").first()
        v["pol_e"] = v["pol_r"] = policy.pk
        c.execute(PERSONS, v)
        v["p0"] = scalar(c, "SELECT MIN(id) FROM enrollment_person")
        c.execute(ENROLLMENTS, v)
        v["e0"] = scalar(c, "SELECT MIN(id) FROM enrollment_enrollment")
        c.execute(INSTITUTIONS, v)
        v["h0"] = scalar(c, "SELECT MIN(id) FROM benefits_institution")
        assert scalar(c, "SELECT MAX(id) - MIN(id) + 1 FROM benefits_institution") == 20 + len(districts)
        c.execute(OUTBOUND, v)
        c.execute(INBOUND, v)
    with connection.cursor() as c:
        c.execute("VACUUM (ANALYZE)")  # the load's leftovers (hint bits, statistics) are no phase's cost
    return {"outbound": outbound, "inbound": inbound}


FLOOR = [
    """SELECT care_area_code, SUM(pooled_paid + critical_paid + aid_paid), COUNT(*) FROM benefits_settlement
       WHERE kind = 'direct' AND care_area_code <> '' AND settled_at >= %(start)s AND settled_at < %(end)s
       GROUP BY care_area_code""",
    """SELECT insured_area_code, SUM(pooled_paid + critical_paid), COUNT(*) FROM benefits_inboundsettlement
       WHERE settled_at >= %(start)s AND settled_at < %(end)s GROUP BY insured_area_code""",
]


def floor() -> float:
    from django.db import connection

    from benefits.services.clearing import month_bounds

    start, end = month_bounds(MONTH)
    t = time.perf_counter()
    with connection.cursor() as c:
        for sql in FLOOR:
            c.execute(sql, {"start": start, "end": end})
            c.fetchall()
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=TARGET_ROWS, help="settlements of care elsewhere, both ways")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--workers", type=int, default=0, help="areas side by side (default: the setting's)")
    args = parser.parse_args()
    n = args.rows
    if args.keep:
        os.environ["BENCH_KEEP_DB"] = "1"
    with bench_database(NAME):
        from django.db.models import Sum

        from benefits.models import Clearing, ClearingLine
        from benefits.services.clearing import clearing_generate, clearing_reconcile

        if args.workers:
            from django.conf import settings

            settings.YIBAO_BATCH_WORKERS = args.workers

        t = time.perf_counter()
        built = build(n)
        print(f"built {built['outbound']:,} outbound + {built['inbound']:,} inbound settlements of May 2023 "
              f"over {len(AREAS)} areas in {time.perf_counter() - t:.1f} s")  # fmt: skip
        floor_before = floor()  # also warms the cache, as the generate before the second floor does
        t = time.perf_counter()
        first = clearing_generate(actor=None, month=MONTH)
        generate = time.perf_counter() - t
        t = time.perf_counter()
        second = clearing_generate(actor=None, month=MONTH)
        regenerate = time.perf_counter() - t
        t = time.perf_counter()
        differences = clearing_reconcile(month=MONTH)
        reconcile = time.perf_counter() - t
        floor_s = min(floor_before, floor())
        lines = ClearingLine.objects.count()
        totals = Clearing.objects.aggregate(p=Sum("payable"), r=Sum("receivable"))

        def row(name: str, seconds: float) -> str:
            ratio = floor_s / seconds
            warn = "  <- above 1: the floor does more than the product" if ratio > 1 else ""
            return f"{name:<40}{seconds:>9.2f}{n / seconds:>14,.0f}{ratio:>15.3f}{warn}"

        from django.conf import settings

        workers = settings.YIBAO_BATCH_WORKERS
        print(f"areas side by side: {workers} (of {os.cpu_count()} CPUs)")
        print(f"first generate: {first}; second: {second}")
        print(f"{Clearing.objects.count()} statements, {lines:,} lines; payable {totals['p']}, "
              f"receivable {totals['r']}; reconcile: {len(differences)} differences")  # fmt: skip
        print()
        print(f"{'phase (' + format(n, ',') + ' settlements)':<40}{'seconds':>9}{'rows/s':>14}{'floor/product':>15}")
        print(row("clearing_generate (from nothing)", generate))
        print(row("clearing_generate again (redraft)", regenerate))
        print(row("clearing_reconcile", reconcile))
        print(f"{'floor: plain GROUP BY per table':<40}{floor_s:>9.2f}{n / floor_s:>14,.0f}")
        print(f"peak RSS {peak_rss_mb():.0f} MB")

        failures = []
        if differences:
            failures.append(f"reconcile found {len(differences)} differences, e.g. {differences[:3]}")
        if lines != n + n // 100:
            failures.append(f"{lines:,} lines, expected {n + n // 100:,} (each settlement, each reversal)")
        limit = TARGET_SECONDS * max(1.0, n / TARGET_ROWS)
        if generate >= limit:
            failures.append(f"generate {generate:.1f} s >= {limit:.0f} s")
        for failure in failures:
            print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
