"""工作台 as a work queue (issue 11, must-show 6): what waits for the signed-in user, in their district and
role, each a count and a link to the filtered list where they act on it."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assistance.models import AidApplication, HighCostAlert
from core.models import ImportBatch, JobRun
from core.services import job_run_create
from tests.factories import ResidentEnrollmentFactory
from tests.supervision_support import settle, suspicion

pytestmark = pytest.mark.django_db


def _person(district):
    return ResidentEnrollmentFactory(person__district=district, district=district).person


def _applications(person, status, n):
    return AidApplication.objects.bulk_create(
        AidApplication(
            person=person,
            district_id=person.district_id,
            year=2023,
            requested_amount=Decimal("500.00"),
            reason="大病负担重",
            status=status,
        )  # fmt: skip
        for _ in range(n)
    )


def _alerts(people):
    return [
        HighCostAlert.objects.create(
            person=p,
            district_id=p.district_id,
            year=2023,
            out_of_pocket=Decimal("25000.00"),
            threshold=Decimal("20000.00"),
        )  # fmt: skip
        for p in people
    ]


def _batch(district, status):
    return ImportBatch.objects.create(
        original_name="名单.csv", sha256="0" * 64, district=district, file="imports/x.csv", status=status
    )


@pytest.fixture
def waiting(districts, hospital_yz):
    """Work waiting in 渝中区 (500103) and, more of it, in 江北区 (500105)."""
    yz, jb = districts["500103"], districts["500105"]
    yz_people = [_person(yz) for _ in range(3)]
    jb_people = [_person(jb) for _ in range(4)]
    data = {
        "yz_submitted": _applications(yz_people[0], AidApplication.Status.SUBMITTED, 2),
        "yz_reviewed": _applications(yz_people[1], AidApplication.Status.REVIEWED, 1),
        "yz_approved": _applications(yz_people[2], AidApplication.Status.APPROVED, 1),
        "yz_paid": _applications(yz_people[2], AidApplication.Status.PAID, 2),  # done: not waiting
        "jb_submitted": _applications(jb_people[0], AidApplication.Status.SUBMITTED, 5),
        "yz_alerts": _alerts(yz_people),
        "jb_alerts": _alerts(jb_people),
        "yz_batches": [_batch(yz, ImportBatch.Status.VALIDATED)],
        "yz_done_batch": _batch(yz, ImportBatch.Status.IMPORTED),
        "jb_batches": [_batch(jb, ImportBatch.Status.VALIDATED), _batch(jb, ImportBatch.Status.VALIDATED)],
    }
    HighCostAlert.objects.filter(pk=data["yz_alerts"][2].pk).update(status=HighCostAlert.Status.HANDLED)
    day = dt.date(2023, 5, 1)
    data["yz_suspicions"] = [
        suspicion(settle(yz_people[i], hospital_yz, day, pooled="100.00"), amount="100.00", status="open")
        for i in range(2)
    ]
    suspicion(settle(yz_people[2], hospital_yz, day, pooled="100.00"), amount="100.00", status="confirmed")
    data["jb_suspicions"] = [
        suspicion(settle(jb_people[i], hospital_yz, day, pooled="100.00"), amount="100.00", status="open")
        for i in range(3)
    ]
    return data


def queue_rows(client) -> dict[str, tuple[str, str | None]]:
    """key -> (count shown, link) from the 工作台's work-queue table."""
    body = client.get(reverse("home")).content.decode()
    rows = {}
    for key, cells in re.findall(r'<tr data-testid="queue-([a-z_]+)">(.*?)</tr>', body, flags=re.S):
        count = re.search(r'data-testid="queue-count">([^<]+)<', cells).group(1)
        link = re.search(r'<a href="([^"]+)"', cells)
        rows[key] = (count, link.group(1).replace("&amp;", "&") if link else None)
    return rows


def test_district_reviewer_sees_their_district_and_each_link_lists_those_items(
    client_for, reviewer_yuzhong, waiting, django_assert_max_num_queries
):
    client = client_for(reviewer_yuzhong)
    with django_assert_max_num_queries(25):
        rows = queue_rows(client)
    counts = {key: count for key, (count, _) in rows.items()}
    assert counts == {
        "imports_to_confirm": "1",
        "aid_to_review": "2",
        "aid_to_decide": "1",
        "aid_to_pay": "1",
        "high_cost_alerts": "2",
        "suspicions_to_review": "2",
        "aid_to_enroll": "0",
        "chronic_to_assess": "0",
        "chronic_to_approve": "0",
    }  # 江北区's work is not counted, and a reviewer is no administrator: no failed jobs row
    expected = {
        "imports_to_confirm": ("core:import_detail", waiting["yz_batches"], waiting["jb_batches"]),
        "aid_to_review": ("assistance:application_detail", waiting["yz_submitted"], waiting["jb_submitted"]),
        "aid_to_decide": ("assistance:application_detail", waiting["yz_reviewed"], waiting["yz_submitted"]),
        "aid_to_pay": ("assistance:application_detail", waiting["yz_approved"], waiting["yz_paid"]),
        "high_cost_alerts": ("assistance:alert_handle", waiting["yz_alerts"][:2], waiting["jb_alerts"]),
        "suspicions_to_review": ("audit:suspicion_detail", waiting["yz_suspicions"], waiting["jb_suspicions"]),
    }
    for key, (url_name, shown, hidden) in expected.items():
        link = rows[key][1]
        response = client.get(link)
        assert response.status_code == 200, key
        body = response.content.decode()
        for item in shown:
            assert f'"{reverse(url_name, args=[item.pk])}"' in body, (key, item.pk)
        for item in hidden:
            assert f'"{reverse(url_name, args=[item.pk])}"' not in body, (key, item.pk)


def test_clerk_sees_what_a_clerk_acts_on(client_for, clerk_yuzhong, waiting):
    rows = queue_rows(client_for(clerk_yuzhong))
    # Clerks do not review: no 初审/审批 and no suspicions; they confirm imports, pay aid, follow up alerts.
    assert set(rows) == {"imports_to_confirm", "aid_to_pay", "high_cost_alerts", "aid_to_enroll"}
    assert rows["imports_to_confirm"][0] == "1" and rows["high_cost_alerts"][0] == "2"


def test_other_district_sees_its_own_numbers(client_for, reviewer_jiangbei, waiting):
    rows = queue_rows(client_for(reviewer_jiangbei))
    assert rows["aid_to_review"][0] == "5" and rows["imports_to_confirm"][0] == "2"
    assert rows["high_cost_alerts"][0] == "4" and rows["suspicions_to_review"][0] == "3"
    assert rows["aid_to_decide"] == ("0", None)  # nothing waits: no link


def test_admin_sees_the_city_and_recent_failed_jobs(client_for, municipal_admin, waiting):
    recent = job_run_create(actor=municipal_admin, kind="housekeeping")
    old = job_run_create(actor=municipal_admin, kind="housekeeping")
    JobRun.objects.filter(pk__in=[recent.pk, old.pk]).update(status=JobRun.Status.FAILED, error="作业失败")
    JobRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    client = client_for(municipal_admin)
    rows = queue_rows(client)
    assert rows["aid_to_review"][0] == "7" and rows["imports_to_confirm"][0] == "3"
    assert rows["failed_jobs"][0] == "1"
    body = client.get(rows["failed_jobs"][1]).content.decode()
    assert reverse("core:job_detail", args=[recent.pk]) in body
    assert reverse("core:job_detail", args=[old.pk]) not in body


def test_an_auditor_has_no_work_queue_items(client_for, auditor, waiting):
    body = client_for(auditor).get(reverse("home")).content.decode()
    assert "您的角色没有需要处理的待办事项" in body


def test_counts_stop_at_99_plus(client_for, reviewer_yuzhong, waiting):
    person = waiting["yz_submitted"][0].person
    _applications(person, AidApplication.Status.SUBMITTED, 120)
    rows = queue_rows(client_for(reviewer_yuzhong))
    assert rows["aid_to_review"][0] == "99+"
