"""Load check: 150 district clerks on gunicorn against a city-sized district, while an import and
the year's collection run (issue 13, must-show 11). Bounded and loopback only; not part of CI.

    pip install locust==2.47.0          # bench-only tool, not in requirements.txt
    DATABASE_URL=postgresql://yibao:yibao@127.0.0.1:5432/yibao .venv/bin/python bench/load_check.py \\
        [--people 100000] [--users 150] [--duration 120] [--workers 4] [--port 8190] [--keep]

Steps (each in its own process, so the load generator never shares a process with Django):
1. seed: a throw-away database `yibao_bench_load` next to DATABASE_URL's, migrated; N people in
   渝中区 (500103) through the enrollee import, as bench_import.py does; 150 clerk accounts there
   (one shared password hash, so seeding does not spend minutes hashing); a second enrollee file
   for the concurrent import. `--keep` keeps the database and reuses it on the next run.
2. collectstatic and gunicorn under config.settings.production on 127.0.0.1:PORT (requests carry
   X-Forwarded-Proto: https, as from the TLS proxy). The access log records each request's
   locust name and its time in the server (%(D)s).
3. background work, from the start of the measured window to its end, in a separate process: the
   second file is uploaded, validated and applied, then the year's collection (annual_collection
   2023) runs, round after round (later rounds re-read everything and create nothing).
4. locust (as a library, headless): the clerks log in through the form once, then search people by
   ID number (htmx), open a person, their benefits panel, the person list, the settlement list, the
   import list and the home page, with 1.5-3.5 s think time (about 60 requests/s for 150 clerks).
   The measured window (--duration) opens --warmup seconds after the last clerk has logged in.

Prints per page: requests, server-side p50/p95/p99 (from gunicorn's log) and client-side
p50/p95/p99 (from locust), and errors. Target: server p95 < 100 ms on every page, 0 errors.
Logins are listed but not held to the target (0.5 s of password hashing each, by design).
"""

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DB_NAME = "yibao_bench_load"
DISTRICT = "500103"
CLERK_PASSWORD = "Bench-clerk-2026"
TARGET_P95_MS = 100
NOT_HELD_TO_TARGET = {"login (form)", "login (post)"}
MARK = "measured window starts"
ACCESS_LOG_FORMAT = "BENCH %({x-bench-name}i)s|%(s)s|%(D)s"


# --------------------------------------------------------------------------- child processes (Django)


def _django(reuse: bool):
    sys.path.insert(0, str(BENCH))
    from _db import bench_database

    return bench_database(DB_NAME, reuse=reuse)


def _import_file(path: Path):
    import datetime as dt

    from django.core.files import File

    from core.models import ImportBatch
    from enrollment.importing.pipeline import import_batch_confirm, import_batch_create

    with open(path, "rb") as fh:
        batch = import_batch_create(
            actor=None, fileobj=File(fh), original_name=path.name, district_id=None,
            mode=ImportBatch.Mode.SKIP_INVALID, effective_date=dt.date(2023, 1, 1),
        )  # fmt: skip
    batch.refresh_from_db()
    import_batch_confirm(actor=None, batch=batch)
    batch.refresh_from_db()
    return batch


def seed(args) -> int:
    """Child: the city, the clerks, the second file; writes a sample of people to --sample."""
    os.environ["BENCH_KEEP_DB"] = "1"
    city = Path(f"/tmp/yibao-load-city-{args.people}.csv")
    extra = Path(f"/tmp/yibao-load-extra-{args.extra_rows}.csv")
    for path, rows, seed_ in ((city, args.people, 11), (extra, args.extra_rows, 12)):
        if not path.exists():
            sys.path.insert(0, str(BENCH))
            from synth_city import write_enrollee_csv

            write_enrollee_csv(path, rows=rows, seed=seed_, districts=[DISTRICT])
    with _django(reuse=True):
        sys.path.insert(0, str(BENCH))
        from django.contrib.auth.hashers import make_password
        from synth_city import make_employer_codes

        from core.models import District, User
        from core.roles import Role
        from core.services import staff_user_create
        from enrollment.models import Employer, Person

        district = District.objects.get(code=DISTRICT)
        if not Employer.objects.exists():
            Employer.objects.bulk_create(
                [
                    Employer(credit_code=c, name=f"单位{i}", district=district)
                    for i, c in enumerate(make_employer_codes(500, 1))
                ]
            )
        have = Person.objects.filter(district=district).count()
        if have < args.people:
            started = time.perf_counter()
            batch = _import_file(city)
            print(f"seed: imported {batch.valid_rows:,} people in {time.perf_counter() - started:.0f} s")
        for i in range(args.users):
            name = f"load_clerk_{i:03d}"
            if not User.objects.filter(username=name).exists():
                staff_user_create(
                    actor=None, username=name, password=secrets.token_urlsafe(12), role=Role.DISTRICT_CLERK,
                    district_id=district.pk,
                )  # fmt: skip
        # One production-strength hash for all, computed once.
        User.objects.filter(username__startswith="load_clerk_").update(password=make_password(CLERK_PASSWORD))
        sample = list(Person.objects.filter(district=district).order_by("?").values_list("pk", "id_number")[:2000])
        Path(args.sample).write_text(json.dumps(sample))
        print(f"seed: {Person.objects.filter(district=district).count():,} people in {DISTRICT}, {args.users} clerks")
    return 0


def background(args) -> int:
    """Child: the import and the year's collection, again and again for the measured window.

    The first round creates the people and the bills; later rounds validate and apply the same file
    and re-run the collection (both idempotent: they read everything and create nothing), so the
    database carries that work for the whole window, whatever the size."""
    extra = Path(f"/tmp/yibao-load-extra-{args.extra_rows}.csv")
    with _django(reuse=True):
        from core.commands import run_job_inline

        end = time.monotonic() + args.duration
        rounds = 0
        while rounds == 0 or time.monotonic() < end:
            rounds += 1
            started = time.perf_counter()
            batch = _import_file(extra)
            print(f"background {rounds}: import of {batch.total_rows:,} rows in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            run = run_job_inline(kind="annual_collection", params={"year": 2023}, actor=None)
            print(
                f"background {rounds}: annual_collection 2023 {run.status} in {time.perf_counter() - started:.1f} s, "
                f"{run.counts.get('bills_created', 0):,} bills created"
            )
    return 0


# --------------------------------------------------------------------------- the load (locust, no Django)


def run_load(args, base_url: str, sample: list, on_window_open) -> tuple[dict, list]:
    import gevent
    from locust import HttpUser, between, task
    from locust.env import Environment

    host = urllib.parse.urlsplit(base_url).netloc
    origin = f"https://{host}"
    clerk_numbers = iter(range(args.users))
    logged_in: list[str] = []
    rng = random.Random(13)  # noqa: S311 - not security, a repeatable mix of people

    class Clerk(HttpUser):
        wait_time = between(1.5, 3.5)

        def _get(self, path: str, name: str, **headers):
            headers = {"X-Forwarded-Proto": "https", "X-Bench-Name": name, **headers}
            with self.client.get(path, name=name, headers=headers, catch_response=True, allow_redirects=False) as r:
                if r.status_code != 200:
                    r.failure(f"HTTP {r.status_code}")
                self._unsecure_cookies()
                return r

        def _unsecure_cookies(self) -> None:
            # Production cookies are Secure; here plain HTTP on loopback stands in for the TLS proxy.
            for cookie in self.client.cookies:
                cookie.secure = False

        def on_start(self) -> None:
            self.username = f"load_clerk_{next(clerk_numbers) % args.users:03d}"
            page = self._get("/login/", "login (form)")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            with self.client.post(
                "/login/",
                data={"csrfmiddlewaretoken": token.group(1) if token else "", "username": self.username,
                      "password": CLERK_PASSWORD},
                headers={"X-Forwarded-Proto": "https", "X-Bench-Name": "login (post)", "Origin": origin,
                         "Referer": f"{origin}/login/"},
                name="login (post)", allow_redirects=False, catch_response=True,
            ) as r:  # fmt: skip
                if r.status_code != 302:
                    r.failure(f"login answered {r.status_code}")
            self._unsecure_cookies()
            logged_in.append(self.username)

        def _person(self):
            return rng.choice(sample)

        @task(6)
        def search(self) -> None:
            _, id_number = self._person()
            self._get(f"/enrollment/people/?q={id_number}", "person search (htmx)", **{"HX-Request": "true"})

        @task(4)
        def person_detail(self) -> None:
            pk, _ = self._person()
            self._get(f"/enrollment/people/{pk}/", "person detail")
            self._get(f"/benefits/people/{pk}/panel/", "benefits panel (htmx)", **{"HX-Request": "true"})

        @task(2)
        def person_list(self) -> None:
            self._get("/enrollment/people/", "person list")

        @task(1)
        def settlements(self) -> None:
            self._get("/benefits/settlements/", "settlement list")

        @task(1)
        def imports(self) -> None:
            self._get("/imports/", "import list")

        @task(1)
        def home(self) -> None:
            self._get("/", "home")

    def snapshot(names=None) -> dict:
        return {
            name: {
                "n": entry.num_requests,
                "fail": entry.num_failures,
                "p50": entry.get_response_time_percentile(0.50),
                "p95": entry.get_response_time_percentile(0.95),
                "p99": entry.get_response_time_percentile(0.99),
            }
            for (name, _method), entry in env.stats.entries.items()
            if names is None or name in names
        }

    env = Environment(user_classes=[Clerk], host=base_url)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    # Warm-up: every clerk logs in (0.5 s of hashing each, queued behind the workers), then the
    # think-time rhythm settles; only then is the measured window opened, on both sides.
    deadline = time.monotonic() + 300
    while len(logged_in) < args.users and time.monotonic() < deadline:
        gevent.sleep(0.5)
    gevent.sleep(args.warmup)
    logins = snapshot(NOT_HELD_TO_TARGET)
    errors = [f"{e.name}: {e.error} x{e.occurrences}" for e in env.stats.errors.values()]
    env.stats.reset_all()
    urllib.request.urlopen(  # noqa: S310 - our own loopback server; marks the window in the access log
        urllib.request.Request(f"{base_url}/login/", headers={"X-Forwarded-Proto": "https", "X-Bench-Name": MARK})
    )
    on_window_open()
    gevent.spawn_later(args.duration, runner.quit)
    runner.greenlet.join()
    client = {**snapshot(), **logins}
    errors += [f"{e.name}: {e.error} x{e.occurrences}" for e in env.stats.errors.values()]
    return client, errors


def server_times(log_path: Path) -> dict[str, list[float]]:
    """Pages: the measured window (after the MARK request); logins: the whole run."""
    times: dict[str, list[float]] = {}
    measuring = False
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("BENCH "):
            continue
        name, _status, micros = line[6:].rsplit("|", 2)
        if name == MARK:
            measuring = True
        elif name and name != "-" and (measuring or name in NOT_HELD_TO_TARGET):
            times.setdefault(name, []).append(int(micros) / 1000)
    return times


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("phase", nargs="?", default="run", choices=["run", "seed", "background"])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--extra-rows", type=int, default=20_000, help="rows of the concurrent import")
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--spawn-rate", type=float, default=25)
    parser.add_argument("--duration", type=int, default=120, help="seconds of the measured window")
    parser.add_argument("--warmup", type=int, default=15, help="seconds after the last login before measuring")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--sample", default="/tmp/yibao-load-sample.json")
    args = parser.parse_args()
    if args.phase == "seed":
        return seed(args)
    if args.phase == "background":
        return background(args)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("the load check needs DATABASE_URL=postgresql://...")
    python = sys.executable
    me = [python, str(Path(__file__).resolve())]
    passthrough = ["--people", str(args.people), "--extra-rows", str(args.extra_rows), "--users", str(args.users),
                   "--sample", args.sample, "--duration", str(args.duration)]  # fmt: skip
    subprocess.run([*me, "seed", *passthrough], check=True, cwd=ROOT)

    parts = urllib.parse.urlsplit(url)
    env = dict(os.environ)
    env.pop("CELERY_BROKER_URL", None)
    static_root = tempfile.mkdtemp(prefix="yibao-load-static-")
    env.update(
        DATABASE_URL=urllib.parse.urlunsplit(parts._replace(path=f"/{DB_NAME}")),
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_STATIC_ROOT=static_root,
    )
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], check=True, cwd=ROOT, env=env)
    log_path = Path(tempfile.mkstemp(prefix="yibao-load-access-", suffix=".log")[1])
    gunicorn = Path(python).parent / "gunicorn"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers),
             "--timeout", "60", "--no-control-socket", "--access-logfile", "-",
             "--access-logformat", ACCESS_LOG_FORMAT],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    works: list[subprocess.Popen] = []
    try:
        base_url = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(  # noqa: S310 - our own loopback server
                    urllib.request.Request(f"{base_url}/login/", headers={"X-Forwarded-Proto": "https"})
                )
                break
            except OSError:
                time.sleep(0.2)
        sample = json.loads(Path(args.sample).read_text())
        bg_env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}

        def start_background_work() -> None:
            works.append(subprocess.Popen([*me, "background", *passthrough], cwd=ROOT, env=bg_env))

        started = time.perf_counter()
        client, errors = run_load(args, base_url, sample, start_background_work)
        elapsed = time.perf_counter() - started
        work_state = "still running at the end" if any(w.poll() is None for w in works) else "finished"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        for work in works:
            work.wait()
        shutil.rmtree(static_root, ignore_errors=True)

    server = server_times(log_path)
    window = args.duration
    total = sum(c["n"] for name, c in client.items() if name not in NOT_HELD_TO_TARGET)
    print(f"\n{args.users} clerks, {elapsed:.0f} s in all, measured window {window} s: {total:,} requests "
          f"({total / window:.0f}/s), "
          f"{args.workers} gunicorn workers; background import + annual collection {work_state}")  # fmt: skip
    print(f"{'page':<24} {'n':>6}  {'server p50/p95/p99 ms':>24}  {'client p50/p95/p99 ms':>24}  errors  target")
    ok = True
    for name in sorted(client):
        c, s = client[name], server.get(name, [])
        held = name not in NOT_HELD_TO_TARGET
        p95 = pct(s, 95)
        verdict = ("ok" if p95 < TARGET_P95_MS else "OVER") if held else "(not held)"
        ok = ok and c["fail"] == 0 and (not held or p95 < TARGET_P95_MS)
        print(
            f"{name:<24} {c['n']:>6}  {pct(s, 50):>7.1f} {p95:>7.1f} {pct(s, 99):>7.1f}   "
            f"{c['p50']:>7.0f} {c['p95']:>7.0f} {c['p99']:>7.0f}   {c['fail']:>5}  {verdict}"
        )
    for error in errors:
        print("error:", error)
    print(f"verdict: {'PASS' if ok and not errors else 'FAIL'} (server p95 < {TARGET_P95_MS} ms per page, 0 errors)")
    if not args.keep:
        import psycopg

        with psycopg.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    return 0 if ok and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
