"""疑点筛查 at city scale: every fraud rule over one year of N settlements (default 5,000,000).

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_fraud_scan.py --settlements 5000000

Builds, in a throw-away database and with set-based SQL only, N/5 insured people (a third employees,
1 in 1,000 dead mid-year, 1 in 500 with coverage ended mid-year), 200 hospitals and 300 pharmacies, and
N settlements over 2023 (50% outpatient, 10% inpatient, 35% personal-account pharmacy, 5% chronic;
1% reversed; 1% of the hospital ones settled elsewhere; a few diagnosis codes the gender/age rule reads), then
deliberate hits on top: duplicated settlements, pharmacy cash-out runs, over-cap inpatient stays, stays settled
elsewhere and reimbursed by hand as well.

It times `fraud_scan` of all rules over the year (the four passes, side by side on YIBAO_BATCH_WORKERS
connections) into an empty suspicion table, and in the same run its floor: one read of the year, and one read
plus sort of it by (person, service_date). Issue 14, point 6: < 10 s at 5M and at most 3x the read+sort floor.
It checks that the per-rule statements (one pass per rule, as before) find the same hits, amounts and details,
then (point 4) runs again with the settlement table's statistics from an ANALYZE while it was empty and one at
1% of its rows: each within 1.5x of the fresh-statistics time, with the same hits.

    --reuse keeps the database between runs (built once); --database names it (default bench_h14c);
    --no-stats, --no-reference skip those parts; --trace prints EXPLAIN ANALYZE of each pass, timed by node.
"""

import argparse
import json
import time

from _db import bench_database, peak_rss_mb, scalar

TARGET_SECONDS = 10.0  # issue 14, point 6: all rules at 5M settlements
HOSPITALS, PHARMACIES = 200, 300


def build(n: int) -> None:
    from django.conf import settings
    from django.db import connection

    from benefits.models import BenefitPolicy
    from benefits.services import benefit_policy_load

    if not BenefitPolicy.objects.filter(year=2023).exists():
        path = settings.BASE_DIR / "benefits/reference/policy_2023.json"
        benefit_policy_load(actor=None, document=json.loads(path.read_text(encoding="utf-8")))
    # Not a multiple of 20 or 365: each person gets a mix of types and days. At least 7,003 people: the
    # deliberate hits (deliberate) use persons up to the 7,002nd.
    people = max(n // 5, 8000) + 1
    with connection.cursor() as c:
        district = scalar(c, "SELECT id FROM core_district WHERE code = '500103'")
        policy = {}
        for scheme in ("resident", "employee"):
            for kind in ("outpatient", "chronic", "inpatient", "pharmacy"):
                sql = "SELECT MIN(id) FROM benefits_benefitpolicy WHERE year = 2023 AND benefit_type = %s"
                policy[scheme, kind] = scalar(c, sql + " AND scheme = %s", [kind, scheme]) or scalar(c, sql, [kind])
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
        p0 = scalar(c, "SELECT MIN(id) FROM enrollment_person")
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
        e0 = scalar(c, "SELECT MIN(id) FROM enrollment_enrollment")
        assert scalar(c, "SELECT MAX(id) - MIN(id) + 1 FROM enrollment_enrollment") == people
        c.execute(
            """
            INSERT INTO benefits_institution (code, name, kind, level, district_id, agreement_status,
                agreement_start, on_inspection_list, credit_measure_reason, created_at, updated_at)
            SELECT CASE WHEN g <= %(h)s THEN 'H' ELSE 'P' END || '500103' || lpad(g::text, 5, '0'),
                   '机构' || g, CASE WHEN g <= %(h)s THEN 'hospital' ELSE 'pharmacy' END,
                   CASE WHEN g <= %(h)s THEN g %% 3 + 1 ELSE 0 END, %(d)s, 'active', DATE '2020-01-01', false, '',
                   now(), now()
            FROM generate_series(1, %(h)s + %(p)s) g
            """,
            {"h": HOSPITALS, "p": PHARMACIES, "d": district},
        )
        i0 = scalar(c, "SELECT MIN(id) FROM benefits_institution")
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
        elsewhere(c)
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


def elsewhere(c) -> None:
    """Care elsewhere (异地就医), for the cross-region rules: about 1 in 100 hospital settlements (ids a multiple
    of 97, so of every type) was settled directly in another city, and 300 of those were also reimbursed by hand
    (零星报销), a known hit each."""
    c.execute(
        "UPDATE benefits_settlement SET care_area_code = '110105' WHERE id % 97 = 0 AND benefit_type <> 'pharmacy'"
    )
    c.execute(
        """
        INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
            district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year,
            total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid,
            out_of_pocket, aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason,
            care_area_code, created_at, updated_at)
        SELECT institution_id, settlement_number || 'M', 'manual', status, person_id, enrollment_id, district_id,
            scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year, total_cost,
            eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid, out_of_pocket,
            aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason, care_area_code,
            created_at, updated_at
        FROM benefits_settlement WHERE care_area_code <> '' AND status = 'settled' AND kind = 'direct'
        ORDER BY id LIMIT 300
        """
    )


YEAR = ("2023-01-01", "2023-12-31")
# The columns the scan reads: the floor reads and sorts the same ones.
COLUMNS = """id, person_id, institution_id, district_id, service_date, discharge_date, benefit_type, kind, status,
    care_area_code, total_cost, pooled_paid, critical_paid, aid_paid, account_paid, settlement_number, year,
    policy_id, diagnosis_code"""


def _seconds(sql: str, *, repeat: int = 2, serial: bool = False) -> float:
    """The best of `repeat` runs of one statement, with the scan's own work_mem (and no parallel workers when
    `serial`: an INSERT, as the scan's passes are, never gets them in PostgreSQL 15)."""
    from django.db import connection, transaction

    from audit.fraud import WORK_MEM

    best = float("inf")
    for _ in range(repeat):
        with transaction.atomic(), connection.cursor() as c:
            c.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            if serial:
                c.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            t = time.perf_counter()
            c.execute(sql, YEAR)
            c.fetchall()
            best = min(best, time.perf_counter() - t)
    return best


def floors() -> tuple[float, float, float]:
    """One read of the year's settlements; one read plus sort of them by person, service_date (the columns the
    scan reads; the window forces the sort) as PostgreSQL runs it (parallel workers allowed), and serially."""
    where = "FROM benefits_settlement WHERE service_date BETWEEN %s AND %s"
    read = _seconds(f"SELECT COUNT(*), SUM(pooled_paid) {where}")  # noqa: S608
    sort = (
        f"SELECT COUNT(*), MAX(k) FROM (SELECT {COLUMNS}, ROW_NUMBER() OVER (ORDER BY person_id, service_date, id)"  # noqa: S608
        f" AS k {where}) t"
    )
    return read, _seconds(sort), _seconds(sort, serial=True)


def product() -> tuple[float, dict[str, int]]:
    """All active rules over the year into an empty suspicion table."""
    from audit.fraud import fraud_scan
    from audit.models import Suspicion

    Suspicion.objects.all().delete()
    t = time.perf_counter()
    counts = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
    return time.perf_counter() - t, counts


def trace() -> None:
    """EXPLAIN ANALYZE of each pass as the scan runs it (one statement per pass, its settings), rolled back."""
    from django.db import connection, transaction

    from audit.fraud import pass_settings, scan_passes, scan_rules, scan_window

    start, end = scan_window(start=YEAR[0], end=YEAR[1])
    for sql, values in scan_passes(rules=scan_rules(rule_codes=None), start=start, end=end, run_id=None):
        with transaction.atomic(), connection.cursor() as c:
            pass_settings(c)
            t = time.perf_counter()
            c.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, values)
            print("\n".join(line for (line,) in c.fetchall()))
            print(f"--- {time.perf_counter() - t:.2f} s\n")
            transaction.set_rollback(True)


def reference_hits() -> set[tuple]:
    """The hits of the per-rule statements (one pass per rule, as before the shared passes)."""
    from audit.fraud import reference_hits as reference

    return reference(start=YEAR[0], end=YEAR[1])


def suspicion_rows() -> set[tuple]:
    from audit.models import Suspicion

    return set(Suspicion.objects.values_list("rule_id", "settlement_id", "amount", "detail"))


def restats(how: str, total_rows: int) -> None:
    """Leave the settlement table's statistics as a new database would: ANALYZE run while it was empty, or
    while it held 1% of its rows, then the rest loaded. Autovacuum stays off so that nothing fixes them."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as c:  # all or nothing: a failure leaves the rows in place
        c.execute("ALTER TABLE benefits_settlement SET (autovacuum_enabled = off)")
        c.execute("DROP TABLE IF EXISTS bench_settlement_copy")
        c.execute("CREATE TABLE bench_settlement_copy AS SELECT * FROM benefits_settlement")
        # The reload must not re-check foreign keys row by row (minutes at 5M): they are dropped here,
        # in this throw-away database, and the scan never reads them.
        c.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND (conrelid = 'benefits_settlement'::regclass"
            " OR confrelid = 'benefits_settlement'::regclass)"
        )
        for (name,) in c.fetchall():
            c.execute("SELECT conrelid::regclass::text FROM pg_constraint WHERE conname = %s AND contype = 'f'", [name])
            c.execute(f'ALTER TABLE {c.fetchone()[0]} DROP CONSTRAINT "{name}"')
        c.execute("DELETE FROM audit_suspicion")
        c.execute("TRUNCATE benefits_settlement")
        if how == "1%":
            c.execute("INSERT INTO benefits_settlement SELECT * FROM bench_settlement_copy WHERE id % 100 = 0")
        c.execute("ANALYZE benefits_settlement")
        if how == "1%":
            c.execute("INSERT INTO benefits_settlement SELECT * FROM bench_settlement_copy WHERE id % 100 <> 0")
        else:
            c.execute("INSERT INTO benefits_settlement SELECT * FROM bench_settlement_copy")
        c.execute("DROP TABLE bench_settlement_copy")
        c.execute("SELECT COUNT(*) FROM benefits_settlement")  # sets the hint bits, as any first read would
        assert c.fetchone()[0] == total_rows
        c.execute("SELECT reltuples FROM pg_class WHERE oid = 'benefits_settlement'::regclass")
        print(f"  statistics {how}: pg_class.reltuples = {c.fetchone()[0]:,.0f} (rows: {total_rows:,})")


def measure(label: str, total_rows: int) -> tuple[float, dict[str, int], set[tuple]]:
    seconds, counts = product()
    rows = suspicion_rows()
    read, sort, serial = floors()
    floor = min(sort, serial)  # the stricter of the two
    print(
        f"[{label}] product {seconds:.2f} s for all rules ({total_rows / seconds:,.0f} settlements/s); "
        f"floor: read {read:.2f} s, read+sort {sort:.2f} s (serial {serial:.2f} s); "
        f"product/read+sort {seconds / floor:.2f}x (target <= 3); "
        f"under {TARGET_SECONDS:.0f} s: {seconds < TARGET_SECONDS}"
    )
    return seconds, counts, rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settlements", type=int, default=5_000_000)
    parser.add_argument("--database", default="bench_h14c", help="the throw-away database's name")
    parser.add_argument("--reuse", action="store_true", help="keep the database between runs (built once)")
    parser.add_argument("--trace", action="store_true", help="EXPLAIN ANALYZE each pass (rolled back)")
    parser.add_argument("--no-stats", action="store_true", help="skip the empty/1%% statistics variants")
    parser.add_argument("--no-reference", action="store_true", help="skip the per-rule reference comparison")
    args = parser.parse_args()
    n = args.settlements
    with bench_database(args.database, reuse=args.reuse):
        from django.db import connection

        from audit.fraud import fraud_scan
        from benefits.models import Settlement

        if not Settlement.objects.exists():
            t = time.perf_counter()
            build(n)
            print(f"built in {time.perf_counter() - t:.1f} s")
        with connection.cursor() as c:
            if not Settlement.objects.exclude(care_area_code="").exists():  # a city built before it had them
                elsewhere(c)
            c.execute("ANALYZE benefits_settlement")
        total_rows = Settlement.objects.count()
        print(f"{total_rows:,} settlements; workers {__import__('core.parallel').parallel.batch_workers()}")

        if args.trace:
            trace()
            return 0
        fresh, counts, rows = measure("fresh statistics", total_rows)
        for code, hit in counts.items():
            print(f"  {code:<22} {hit:>8,}")
        t = time.perf_counter()
        again = fraud_scan(actor=None, start=YEAR[0], end=YEAR[1])
        assert again["created"] == 0
        print(f"re-run (adds 0): {time.perf_counter() - t:.2f} s")
        if not args.no_reference:
            t = time.perf_counter()
            reference = reference_hits()
            print(f"per-rule statements (before): {time.perf_counter() - t:.2f} s; same hits, amounts and details: "
                  f"{reference == rows} ({len(reference):,} vs {len(rows):,})")  # fmt: skip
            assert reference == rows, sorted(reference ^ rows)[:20]
        if not args.no_stats:
            for how in ("empty", "1%"):
                restats(how, total_rows)
                seconds, _, variant_rows = measure(f"statistics {how}", total_rows)
                print(f"  {how}: {seconds / fresh:.2f}x fresh (target <= 1.5); same hits: {variant_rows == rows}")
                assert variant_rows == rows
        print(f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
