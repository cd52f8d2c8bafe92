"""操作日志 as staff read it: objects by their Chinese model name and readable name, linked to their page
only when the reader may open it; changes as "字段：旧值 → 新值"; the object-type filter a select of
the types present. Names and links are resolved per page in one query per type, never per row."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from assistance.services import aid_application_submit, aid_application_transition
from audit.trail_display import event_rows
from core.models import AuditEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
URL = "/audit/events/"


def rows(html: str) -> list[str]:
    body = html.split('data-testid="event-table"', 1)[1].split("<tbody>", 1)[1]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


@pytest.fixture
def reviewed_application(districts, clerk_yuzhong, reviewer_yuzhong):
    person = PersonFactory(name="赵六", district=districts["500103"])
    application = aid_application_submit(
        actor=clerk_yuzhong, person=person, year=2023, requested_amount=Decimal("3000.00"), reason="住院"
    )
    return aid_application_transition(
        actor=reviewer_yuzhong, application=application, to_status="reviewed", reason="材料齐全"
    )


def test_objects_show_their_chinese_type_and_name_with_a_link(client_for, reviewer_yuzhong, reviewed_application):
    html = client_for(reviewer_yuzhong).get(URL, {"object_type": "assistance.aidapplication"}).content.decode()
    shown = rows(html)
    assert len(shown) == 2  # submitted, then reviewed
    link = f'<a href="/assistance/applications/{reviewed_application.pk}/">'
    assert all("依申请救助" in row and link in row for row in shown)
    assert "assistance.aidapplication" not in "".join(shown)
    # The status change reads as field: old → new, in words.
    assert re.search(r"状态</span>：<del>已提交</del> → <ins>已初审</ins>", shown[0])
    assert re.search(r"原因</span>：材料齐全", shown[0]) and "申请事由" not in shown[0]
    assert "{'" not in html and "'status'" not in html


def test_users_and_old_labels_read_in_chinese_without_developer_text(client_for, auditor, districts):
    AuditEvent.objects.create(
        actor_username="admin_city", action="update", object_type="audit.user", object_id="2",
        object_repr="clerk_yuzhong", old_values={"is_active": True}, new_values={"is_active": False},
    )  # fmt: skip
    html = client_for(auditor).get(URL, {"actor": "admin_city"}).content.decode()
    (row,) = rows(html)
    assert "工作人员" in row and "clerk_yuzhong" in row
    assert "audit.user" not in row and "#2" not in row
    assert re.search(r"<del>是</del> → <ins>否</ins>", row)


def test_no_link_to_a_page_the_reader_would_be_refused(client_for, reviewer_yuzhong, auditor, districts):
    """An event of Yuzhong about a person now managed by Jiangbei: Yuzhong reads the event, but the
    person's page would answer 404, so it is not linked; a city-wide reader gets the link."""
    moved = PersonFactory(name="钱七", district=districts["500105"])
    AuditEvent.objects.create(
        actor_username="clerk_yz", action="update", object_type="enrollment.person", object_id=str(moved.pk),
        object_repr=str(moved), district=districts["500103"], new_values={"phone": "13800000000"},
    )  # fmt: skip
    link = f'href="/enrollment/people/{moved.pk}/"'
    (row,) = rows(client_for(reviewer_yuzhong).get(URL, {"actor": "clerk_yz"}).content.decode())
    assert "参保人" in row and "钱七" in row and link not in row
    (row,) = rows(client_for(auditor).get(URL, {"actor": "clerk_yz"}).content.decode())
    assert link in row
    assert client_for(auditor).get(f"/enrollment/people/{moved.pk}/").status_code == 200


def test_object_type_filter_is_a_select_of_the_types_present(client_for, auditor, reviewed_application):
    html = client_for(auditor).get(URL).content.decode()
    select = re.search(r'<select name="object_type"[^>]*>(.*?)</select>', html, flags=re.S).group(1)
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))
    assert options["assistance.aidapplication"] == "依申请救助"
    assert options["core.user"] == "工作人员"
    assert options[""] == "全部"
    assert set(options) - {""} == set(AuditEvent.objects.exclude(object_type="").values_list("object_type", flat=True))
    refused = client_for(auditor).get(URL, {"object_type": "no.such"})
    assert refused.status_code == 400 and "没有这种对象类型的记录" in refused.content.decode()


def test_names_and_links_cost_one_query_per_type_not_per_row(client_for, auditor, clerk_yuzhong, districts):
    client = client_for(auditor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    def one_more_of_each():
        person = PersonFactory(district=districts["500103"])
        aid_application_submit(actor=clerk_yuzhong, person=person, year=2023, requested_amount="1", reason="x")
        AuditEvent.objects.create(
            action="update", object_type="enrollment.person", object_id=str(person.pk), object_repr=str(person)
        )

    one_more_of_each()
    before = queries()
    for _ in range(6):
        one_more_of_each()
    assert queries() == before


def test_job_runs_show_the_job_name_not_its_code(client_for, municipal_admin, districts):
    from core.services import job_run_create

    run = job_run_create(actor=municipal_admin, kind="credit_rating", params={"year": 2023})
    AuditEvent.objects.create(
        actor_username="admin_city", action="job", object_type="core.jobrun", object_id=str(run.pk),
        object_repr=f"credit_rating #{run.pk} queued", new_values={"kind": "credit_rating", "year": 2023},
        occurred_at=dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
    )  # fmt: skip
    html = client_for(municipal_admin).get(URL, {"object_type": "core.jobrun"}).content.decode()
    shown = rows(html)
    assert shown and all(f'<a href="/jobs/{run.pk}/">定点机构信用评价 #{run.pk}</a>' in row for row in shown)
    assert "credit_rating" not in "".join(shown)


def test_hostile_values_in_changes_are_shown_as_text_not_markup(client_for, auditor, districts):
    """The changes are written out in Python (trail_display.changes_html), not by the template's autoescape:
    every label and value a user could have typed is escaped there, the removed and added markers only kept."""
    AuditEvent.objects.create(
        actor_username="admin_city", action="update", object_type="enrollment.person", object_id="9",
        object_repr="x", old_values={"name": "<b>旧</b>", "phone": "1' onmouseover='x"},
        new_values={"name": '<script>alert("x")</script>', "<img src=x>": "&amp;"},
    )  # fmt: skip
    html = client_for(auditor).get(URL, {"actor": "admin_city"}).content.decode()
    (row,) = rows(html)
    assert "<script" not in row and "<b>" not in row and "<img" not in row
    assert "<del>&lt;b&gt;旧&lt;/b&gt;</del> → <ins>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</ins>" in row
    assert "<del>1&#x27; onmouseover=&#x27;x</del> → " in row  # a value removed: the "(none)" hint follows
    assert '<span class="field-name">&lt;img src=x&gt;</span>：&amp;amp;' in row


# The rows as the list's template wrote them before they were written in Python (EventRow.html).
ROW_TEMPLATE = """{% load yibao %}{% for row in rows %}{% with e=row.event %}
  <tr><td>{{ e.occurred_at|date:"Y-m-d H:i:s" }}</td><td>{{ e.actor_username|default:"—" }}</td><td>{{ e|choice:"action" }}</td>
      <td data-testid="event-object">{% if row.type_label %}<span class="hint">{{ row.type_label }}</span> {% endif %}{% if row.url %}<a href="{{ row.url }}">{{ row.name }}</a>{% else %}{{ row.name|default:"—" }}{% endif %}</td><td>{{ e.district.name|default:"—" }}</td>
      <td class="diff" data-testid="event-changes">{{ row.changes_html }}{% if e.note %}<p class="hint">{{ e.note }}</p>{% endif %}</td>
      <td>{{ e.ip_address|default:"" }}</td></tr>
  {% endwith %}  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_rows_written_in_python_are_the_templates_byte_for_byte(
    municipal_admin, reviewed_application, districts, language
):
    """Every kind of cell: a link and no link, a type and none, a district and none, a note, an IP address, no
    actor, values a user typed with markup in them, a time in Asia/Shanghai near midnight UTC."""
    AuditEvent.objects.create(
        actor_username="", action="update", object_type="", object_id="", object_repr="",
        old_values={"x": "<b>"}, new_values={"x": "&"}, note='<i>"说明"</i>', ip_address="10.0.0.1",
        occurred_at=dt.datetime(2023, 12, 31, 17, 30, tzinfo=dt.UTC),
    )  # fmt: skip
    AuditEvent.objects.create(
        actor_username="<admin>", action="status", object_type="enrollment.person", object_id="999999",
        object_repr="<x & y>", district=districts["500105"], new_values={"status": "active", "reason": "'q'"},
    )  # fmt: skip
    events = list(AuditEvent.objects.select_related("district").order_by("-id"))
    assert len(events) >= 4
    with translation.override(language):
        shown = event_rows(events=events, user=municipal_admin)
        expected = engines["django"].from_string(ROW_TEMPLATE).render({"rows": shown})
        assert "".join(row.html for row in shown) == expected
    assert "/assistance/applications/" in expected and "&lt;x &amp; y&gt;" in expected and "01:30:00" in expected
