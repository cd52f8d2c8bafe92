"""The embedded default (SQLite, Celery in-process) never fails a job on a database lock.

Issue 11, finding 2: 年度结转 failed with "database is locked" while the browser polled its progress
and other users wrote. The scenario runs in a fresh process against a file-based SQLite database with
the shipped settings (config.settings.base: WAL, busy timeout, tasks in a thread of the web process),
whatever database the suite itself uses: an in-memory test database would share one cache and lock
tables, not the file, and so would not show what a laptop install does.

The process starts 年度缴费征收 and then 年度结转 through the jobs page as the municipal admin, as the
browser does, while other threads poll the job's progress (htmx) and clerks write through the API
(person edits, payments). Every job must succeed and every write must land.

Run by hand: `.venv/bin/python tests/test_embedded_jobs.py /tmp/embedded.sqlite3`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 300
WRITERS = 4
POLLERS = 2


def test_jobs_succeed_while_pages_poll_and_users_write(tmp_path):
    database = tmp_path / "embedded.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "CELERY_BROKER_URL": "",
        "DJANGO_LOG_LEVEL": "WARNING",
        "YIBAO_MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("DATABASE_CONN_MAX_AGE", None)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    done = subprocess.run(
        [sys.executable, __file__, str(database)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    print(outcome)
    # The jobs finished, in words, with their counts.
    assert outcome["collection"] == {"status": "succeeded", "error": ""}
    assert outcome["rollover"] == {"status": "succeeded", "error": ""}
    assert outcome["bills"] == PEOPLE
    # Every concurrent request answered, none with a lock error, and what they wrote is there.
    assert outcome["failed_requests"] == []
    assert outcome["writes"] > 0 and outcome["polls"] > 0
    assert outcome["phones_written"] == outcome["person_edits"]
    assert outcome["payments"] == outcome["payment_posts"] > 0


def _scenario(database: str) -> dict:  # pragma: no cover - runs in the child process
    import datetime as dt
    import threading
    from decimal import Decimal

    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings
    from django.db import connections
    from django.test import Client

    from contributions.models import ContributionBill, ContributionPayment
    from core.models import JobRun
    from core.reference import district_load_reference
    from core.roles import Role
    from core.services import staff_user_create
    from enrollment.models import Person
    from tests.factories import ResidentEnrollmentFactory

    assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), "the scenario is the embedded default"
    assert settings.CELERY_TASK_ALWAYS_EAGER
    settings.MEDIA_ROOT = os.environ["YIBAO_MEDIA_ROOT"]
    district_load_reference(actor=None)
    password = "Embedded-test-2026"
    admin = staff_user_create(actor=None, username="admin_e", password=password, role=Role.MUNICIPAL_ADMIN,
                              district_id=None)  # fmt: skip
    yuzhong = Person._meta.get_field("district").related_model.objects.get(code="500103")
    clerks = [
        staff_user_create(
            actor=None, username=f"clerk_e{i}", password=password, role=Role.DISTRICT_CLERK, district_id=yuzhong.pk
        )  # fmt: skip
        for i in range(WRITERS)
    ]
    enrollments = [ResidentEnrollmentFactory(tier=1, start_date=dt.date(2023, 1, 1)) for _ in range(PEOPLE)]
    connections.close_all()

    stop = threading.Event()
    failed: list[str] = []
    tally = {"writes": 0, "polls": 0, "person_edits": 0, "payment_posts": 0}
    lock = threading.Lock()
    phones: dict[int, str] = {}

    def note(key: str) -> None:
        with lock:
            tally[key] += 1

    def writer(index: int) -> None:
        client = Client()
        client.force_login(clerks[index])
        n = 0
        try:
            while not stop.is_set() or n < 3:
                enrollment = enrollments[(index + WRITERS * n) % PEOPLE]  # each writer its own people
                person = enrollment.person
                phone = f"13{index}{n:08d}"  # a mobile number, 11 digits
                answer = client.patch(
                    f"/api/v1/persons/{person.pk}/",
                    data=json.dumps({"name": person.name, "phone": phone}),
                    content_type="application/json",
                )
                if answer.status_code != 200:
                    failed.append(f"PATCH person {person.pk}: {answer.status_code} {answer.content[:300]!r}")
                else:
                    with lock:
                        phones[person.pk] = phone
                    note("person_edits")
                note("writes")
                bill = ContributionBill.objects.filter(enrollment=enrollment).first()
                if bill is not None and bill.outstanding > 0:
                    answer = client.post(
                        f"/api/v1/bills/{bill.pk}/payments/",
                        data={"amount": "1.00", "paid_on": "2023-03-01", "reference": f"E-{index}-{n}"},
                    )
                    if answer.status_code != 201:
                        failed.append(f"POST payment {bill.pk}: {answer.status_code} {answer.content[:300]!r}")
                    else:
                        note("payment_posts")
                    note("writes")
                n += 1
        except Exception as exc:  # noqa: BLE001  (a lock error in a request is what this test is about)
            failed.append(f"writer {index}: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    def poller(run_id_box: list) -> None:
        client = Client()
        client.force_login(admin)
        try:
            while not stop.is_set():
                if run_id_box:
                    answer = client.get(f"/jobs/{run_id_box[-1]}/", headers={"HX-Request": "true"})
                    if answer.status_code != 200:
                        failed.append(f"poll: {answer.status_code}")
                    note("polls")
                answer = client.get("/")
                if answer.status_code != 200:
                    failed.append(f"home: {answer.status_code}")
        except Exception as exc:  # noqa: BLE001
            failed.append(f"poller: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    def run_job(kind: str, run_id_box: list) -> dict:
        client = Client()
        client.force_login(admin)
        answer = client.post(f"/jobs/start/{kind}/", {"year": "2023"})
        assert answer.status_code == 302, answer.content[:500]
        run_id = int(answer["Location"].rstrip("/").rsplit("/", 1)[-1])
        run_id_box.append(run_id)
        for _ in range(6000):
            run = JobRun.objects.get(pk=run_id)
            if run.is_finished:
                return {"status": run.status, "error": run.error}
            stop.wait(0.05)
        return {"status": "timeout", "error": ""}

    run_ids: list = []
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    threads += [threading.Thread(target=poller, args=(run_ids,)) for _ in range(POLLERS)]
    for thread in threads:
        thread.start()
    try:
        collection = run_job("annual_collection", run_ids)
        rollover = run_job("annual_rollover", run_ids)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    written = dict(Person.objects.filter(pk__in=phones).values_list("pk", "phone"))
    return {
        "collection": collection,
        "rollover": rollover,
        "bills": ContributionBill.objects.filter(coverage_year=2023).count(),
        "failed_requests": failed[:20],
        "phones_written": sum(written[pk] == phone for pk, phone in phones.items()),
        "person_edits": len(phones),
        "payments": ContributionPayment.objects.filter(reference__startswith="E-", amount=Decimal("1.00")).count(),
        **tally,
    }


if __name__ == "__main__":  # pragma: no cover - the child process of the test above
    print(json.dumps(_scenario(sys.argv[1]), ensure_ascii=False))
