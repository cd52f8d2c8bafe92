"""Person search latency at city scale: ID number, ID prefix, exact name, district pages by keyset.

    DATABASE_URL=postgresql://... BENCH_KEEP_DB=1 .venv/bin/python bench/bench_import.py --rows 1000000
    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_search.py

Runs the same selector and keyset paging the staff page uses, as a district clerk, 50 times per kind
of search, and prints p50/p95 in milliseconds. Target: "instant", here taken as p95 < 50 ms.
"""

import random
import statistics
import time

from _db import bench_database

TARGET_P95_MS = 50
REPEAT = 50


def main() -> int:
    with bench_database("yibao_bench_import", reuse=True):
        from core.models import District, User
        from core.pagination import keyset_page
        from core.roles import Role
        from core.services import staff_user_create
        from enrollment.models import Person
        from enrollment.selectors import person_list

        total = Person.objects.count()
        if total < 100_000:
            raise SystemExit("run bench_import.py with BENCH_KEEP_DB=1 first (needs a city in yibao_bench_import)")
        district = District.objects.get(code="500103")
        clerk = User.objects.filter(username="bench_clerk").first() or staff_user_create(
            actor=None, username="bench_clerk", password="Bench-password-1", role=Role.DISTRICT_CLERK,
            district_id=district.pk,
        )  # fmt: skip
        rng = random.Random(7)  # noqa: S311
        sample = list(Person.objects.filter(district=district).values_list("id_number", "name")[:5000])
        cases = {
            "full ID number": lambda: rng.choice(sample)[0],
            "ID prefix (10 digits)": lambda: rng.choice(sample)[0][:10],
            "exact name": lambda: rng.choice(sample)[1],
            "district list, page 1": lambda: "",
        }
        print(f"people in database     {total:,} ({Person.objects.filter(district=district).count():,} in 渝中区)")
        for label, make_query in cases.items():
            timings = []
            for _ in range(REPEAT):
                query = make_query()
                started = time.perf_counter()
                page = keyset_page(person_list(fetched_by=clerk, query=query), after=None)
                timings.append((time.perf_counter() - started) * 1000)
                assert page.items or not query
            p50, p95 = statistics.median(timings), statistics.quantiles(timings, n=20)[18]
            print(f"{label:<24} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ratio to target {TARGET_P95_MS / p95:5.1f}x")
        # Deep paging by keyset: follow `next` 200 pages and time the last one.
        after = None
        for _ in range(200):
            page = keyset_page(person_list(fetched_by=clerk, query=""), after=after)
            after = page.next_after
        started = time.perf_counter()
        keyset_page(person_list(fetched_by=clerk, query=""), after=after)
        print(f"{'district list, page 201':<24} {(time.perf_counter() - started) * 1000:6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
