"""Enrollee-list import, end to end, at city scale.

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_import.py [--rows 1000000]

Generates a synthetic list (not timed, in a child process so its memory is not counted), then times
upload + validation (the dry run) + confirmation + apply, exactly as a staff upload runs them, on a
fresh database. Then imports the same file again, which must create nothing. Prints rows/s, the ratio
to the target (50k validated rows/s end to end) and peak RSS (target < 300 MB).
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _db import ROOT, bench_database, peak_rss_mb

TARGET_ROWS_PER_S = 50_000
TARGET_RSS_MB = 300


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--error-rate", type=float, default=0.001)
    args = parser.parse_args()

    path = Path(f"/tmp/yibao-bench-{args.rows}.csv")
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "synth_city.py"), str(path), "--rows", str(args.rows),
             "--error-rate", str(args.error_rate)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    with bench_database("yibao_bench_import"):
        import datetime as dt

        from django.core.files import File

        sys.path.insert(0, str(ROOT / "bench"))
        from synth_city import make_employer_codes

        from core.models import District, ImportBatch
        from enrollment.importing.pipeline import import_batch_confirm, import_batch_create
        from enrollment.models import Employer, Enrollment, Person

        district = District.objects.get(code="500103")
        Employer.objects.bulk_create(
            [
                Employer(credit_code=c, name=f"单位{i}", district=district)
                for i, c in enumerate(make_employer_codes(500, 1))
            ]
        )

        def run_once() -> tuple[ImportBatch, float, float]:
            started = time.perf_counter()
            with open(path, "rb") as fh:
                batch = import_batch_create(
                    actor=None, fileobj=File(fh), original_name=path.name, district_id=None,
                    mode=ImportBatch.Mode.SKIP_INVALID, effective_date=dt.date(2023, 1, 1),
                )  # fmt: skip
            validated = time.perf_counter()
            batch.refresh_from_db()
            import_batch_confirm(actor=None, batch=batch)
            done = time.perf_counter()
            batch.refresh_from_db()
            return batch, validated - started, done - validated

        from django.db import connection

        with connection.cursor() as cursor:
            settings_shown = []
            for name in ("shared_buffers", "max_wal_size", "checkpoint_timeout", "wal_compression"):
                cursor.execute(f"SHOW {name}")
                settings_shown.append(f"{name}={cursor.fetchone()[0]}")
        print("server                ", " ".join(settings_shown))

        batch, t_validate, t_apply = run_once()
        total = batch.total_rows
        e2e = t_validate + t_apply
        print(f"rows in file          {total:>12,}")
        print(f"valid / refused       {batch.valid_rows:>12,} / {batch.error_rows:,}")
        print(f"created persons       {batch.counts['created_persons']:>12,}")
        print(f"created enrollments   {batch.counts['created_enrollments']:>12,}")
        print(f"validate (dry run)    {t_validate:>10.1f} s  {total / t_validate:>10,.0f} rows/s")
        print(f"apply                 {t_apply:>10.1f} s  {total / t_apply:>10,.0f} rows/s")
        rate = total / e2e
        ratio = rate / TARGET_ROWS_PER_S
        print(f"end to end            {e2e:>10.1f} s  {rate:>10,.0f} rows/s  ratio to target {ratio:.2f}x")

        again, t2v, t2a = run_once()
        print(
            f"re-import same file   {t2v + t2a:>10.1f} s  created {again.counts['created_persons']} persons, "
            f"{again.counts['created_enrollments']} enrollments (must be 0)"
        )
        assert again.counts["created_enrollments"] == 0
        assert Person.objects.count() == batch.counts["created_persons"]
        assert Enrollment.objects.count() == batch.counts["created_enrollments"]
        rss = peak_rss_mb()
        verdict = "ok" if rss < TARGET_RSS_MB else "OVER"
        print(f"peak RSS              {rss:>10.0f} MB  (target < {TARGET_RSS_MB} MB: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
