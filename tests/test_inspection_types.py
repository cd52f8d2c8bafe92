"""Inspection types as data (issue 15, finding 10): 日常检查, 专项检查 and 飞行检查, not every case a 飞行检查.

002 (渝医保发〔2022〕25号): "持续强化日常监管全覆盖，组织开展市级飞检，继续联合公安、卫生健康部门开展打击诈骗医保基金
专项整治行动" and "开展医保基金专项检查". The form, the list filter, the API and the detail page carry the type;
rows from before the type existed migrate to 飞行检查, which is what staff had opened them as.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from audit import inspection_services as services
from audit.models import Inspection
from core.models import AuditEvent
from core.roles import Role
from tests.benefits_support import staff_client

API = "/api/v1/inspections/"
SEED_002_ROUTINE_AND_FLIGHT = "持续强化日常监管全覆盖，组织开展市级飞检"
SEED_002_SPECIAL_ACTION = "开展打击诈骗医保基金专项整治行动"
SEED_002_SPECIAL = "开展医保基金专项检查"


def seed_text(number: str) -> str:
    root = Path("/work/shared/seeds")
    if not root.exists():
        pytest.skip("seed documents not on this machine")
    [path] = root.glob(f"{number}_*.txt")
    return re.sub(r"\s+", "", path.read_text(encoding="utf-8"))


@pytest.fixture
def sup_yz(make_user):
    return make_user("sup_yz", Role.FUND_SUPERVISOR, "500103")


@pytest.fixture
def sup_jb(make_user):
    return make_user("sup_jb", Role.FUND_SUPERVISOR, "500105")


def test_the_seed_lines_this_file_enforces():
    text = seed_text("002")
    for line in (SEED_002_ROUTINE_AND_FLIGHT, SEED_002_SPECIAL_ACTION, SEED_002_SPECIAL):
        assert line in text


def test_the_three_types_of_002_are_data():
    assert [label for _value, label in Inspection.Kind.choices] == ["日常检查", "专项检查", "飞行检查"]
    assert str(Inspection._meta.verbose_name) == "监督检查"  # the case, whatever its type


def test_a_supervisor_opens_a_flight_inspection_and_every_page_shows_its_type(client_for, sup_yz, hospital_yz):
    client = client_for(sup_yz)
    form = client.get("/audit/inspections/new/").content.decode()
    assert "<h1>新建监督检查</h1>" in form and 'name="kind"' in form
    assert all(label in form for label in ("日常检查", "专项检查", "飞行检查"))
    response = client.post(
        "/audit/inspections/new/",
        {"kind": "flight", "institution_code": hospital_yz.code, "started_on": "2023-05-08", "inspectors": "张三"},
        follow=True,
    )
    inspection = Inspection.objects.get()
    assert inspection.kind == Inspection.Kind.FLIGHT
    page = response.content.decode()
    assert "已立案飞行检查" in page and f"<h1>飞行检查 #{inspection.pk} · 渝中区人民医院</h1>" in page
    [event] = AuditEvent.objects.filter(object_type="audit.inspection", object_id=str(inspection.pk))
    assert event.new_values["kind"] == "flight"


def test_the_list_is_called_supervision_and_filters_by_type(client_for, sup_yz, hospital_yz):
    routine = services.inspection_open(
        actor=sup_yz, institution=hospital_yz, started_on=dt.date(2023, 5, 1), inspectors="x"
    )
    special = services.inspection_open(
        actor=sup_yz, institution=hospital_yz, started_on=dt.date(2023, 5, 2), inspectors="x", kind="special"
    )
    client = client_for(sup_yz)
    page = client.get("/audit/inspections/").content.decode()
    assert "<h1>监督检查</h1>" in page and "新建监督检查" in page and "新建飞行检查" not in page
    assert ">日常检查</td>" in page and ">专项检查</td>" in page
    nav = re.search(r'<nav[^>]*aria-label="主导航".*?</nav>', page, re.S).group(0)
    assert "监督检查" in nav and "飞行检查" not in nav
    only_special = client.get("/audit/inspections/", {"kind": "special"}).content.decode()
    assert f'href="/audit/inspections/{special.pk}/"' in only_special
    assert f'href="/audit/inspections/{routine.pk}/"' not in only_special
    detail = client.get(f"/audit/inspections/{routine.pk}/").content.decode()
    assert '<dd data-testid="kind">日常检查</dd>' in detail


def test_service_refuses_an_unknown_type(sup_yz, hospital_yz):
    with pytest.raises(ValidationError) as error:
        services.inspection_open(
            actor=sup_yz, institution=hospital_yz, started_on=dt.date(2023, 5, 1), inspectors="x", kind="audit"
        )
    assert "日常检查、专项检查或飞行检查" in error.value.message_dict["kind"][0]


def test_api_takes_and_shows_the_type_and_filters_by_it(sup_yz, sup_jb, hospital_yz):
    api = staff_client(sup_yz)
    base = {"institution_code": hospital_yz.code, "started_on": "2023-05-08", "inspectors": "张三"}
    special = api.post(API, base | {"kind": "special"}, format="json")
    assert special.status_code == 201
    assert (special.json()["kind"], special.json()["kind_display"]) == ("special", "专项检查")
    omitted = api.post(API, base, format="json").json()
    assert (omitted["kind"], omitted["kind_display"]) == ("routine", "日常检查")
    bad = api.post(API, base | {"kind": "audit"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()
    listed = api.get(API, {"kind": "special"}).json()["results"]
    assert [row["id"] for row in listed] == [special.json()["id"]]
    # Another district sees neither the case nor its type.
    assert staff_client(sup_jb).get(API, {"kind": "special"}).json()["results"] == []
    assert staff_client(sup_jb).get(f"{API}{special.json()['id']}/").status_code == 404
