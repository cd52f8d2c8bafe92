"""Every list and search page, for every staff role, with every filter, at city scale.

    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_search.py [--persons 1000000] [--rebuild]

The pages come from the URL resolver, not from a list kept here: every GET route without a path
argument whose view pages with keyset_page (web) or is a DRF list view (API). For each page and each
staff role that can open it (district clerk, district reviewer, municipal admin, fund supervisor
without a district = city-wide, auditor), every filter the page offers is tried: each value of a
<select> of the page's GET form (API: each choice of the model field its query parameter names), and
for search boxes a full ID number, ID prefixes of 6 and 10 digits and an exact name; each on page 1
and on a deep keyset page (the `next` link followed DEEP times). Requests go through the application's
WSGI handler, as a server calls it and staff see it (middleware, view, template), without the test
client's per-request hooks. The time spent in Python's garbage collector is printed beside the slowest
samples.

Cold: the first request on a fresh database connection (a new backend: empty catalogue and plan caches).
PostgreSQL's shared buffers and the OS page cache cannot be dropped without root, so "cold" here is
cold connection, warm disk cache. Warm: REPEAT more requests, taken round-robin over all the cases (one
request of each case, then the next round), so that a burst of noise on the machine is spread over many
cases instead of landing on several samples of one. Prints p50/p95 per case and the worst
cases; exits 1 if any p95 >= 50 ms (the target: "instant").

--server URL takes the warm samples from a running server instead, over HTTP, with each role's session
(the cases, the cold request and the deep pages are still found in-process). Start one worker on this city,
without the API's per-account rate limit (one client asks thousands of times a minute):

    DATABASE_URL=postgresql://.../bench_h14a YIBAO_API_RATE_STAFF=1000000/min \
        .venv/bin/gunicorn config.wsgi -w 1 -b 127.0.0.1:8191
    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_search.py --persons 5000000 --server http://127.0.0.1:8191

There the SQL and GC columns read 0: they are the server's, and only its whole time is seen.

The city (in database bench_h14a, kept between runs; --rebuild to make it again) is built with
set-based SQL: N persons over the 38 districts inserted in ID-number order (as a sorted import leaves
them, so ids follow district and birth date: the worst case for lists newest first), one enrollment
each (retired / active / flexible employees, adult / minor / student residents; 1 in 200 terminated),
and N settlements over 2021-2023 at 20 hospitals and 20 pharmacies per district.
"""

import argparse
import gc
import html
import inspect
import json
import logging
import os
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
from functools import partial

from _db import bench_database, scalar

TARGET_P95_MS = 50
DB_NAME = "bench_h14a"
ROLES = ("district_clerk", "district_reviewer", "municipal_admin", "fund_supervisor", "auditor")
CLERK_DISTRICT = "500103"
INSTITUTIONS_PER_DISTRICT = 20  # hospitals, and as many pharmacies


# --- the city ---------------------------------------------------------------------------------------------

PERSONS = """
INSERT INTO enrollment_person (id_number, name, gender, birth_date, phone, district_id, created_at, updated_at)
SELECT d.code || to_char(b.day, 'YYYYMMDD') || lpad((k / %(days)s)::text, 3, '0')
           || ((g * 7) %% 10)::text,
       substr(%(surnames)s, 1 + (g * 7) %% 50, 1) || substr(%(given)s, 1 + (g * 13) %% 100, 1)
           || CASE WHEN g %% 4 = 0 THEN '' ELSE substr(%(given)s, 1 + (g * 31) %% 100, 1) END,
       CASE WHEN k / %(days)s %% 2 = 1 THEN 'M' ELSE 'F' END, b.day, '', d.id, now(), now()
FROM generate_series(0, %(n)s - 1) g
CROSS JOIN LATERAL (SELECT g / %(nd)s AS k, (g %% %(nd)s)::int AS di) x
JOIN (SELECT id, code, (row_number() OVER (ORDER BY code) - 1)::int AS di FROM core_district) d ON d.di = x.di
CROSS JOIN LATERAL (SELECT DATE '1935-01-02' + ((x.k * 7919) %% %(days)s)::int AS day) b
ORDER BY 1
"""

ENROLLMENTS = """
INSERT INTO enrollment_enrollment (person_id, scheme, category, tier, district_id, contribution_base, start_date,
    end_date, status, end_reason, created_at, updated_at)
SELECT p.id, c.scheme, c.category, CASE WHEN c.scheme = 'resident' THEN 1 + p.id %% 2 END, p.district_id,
       CASE WHEN c.scheme = 'employee' THEN 6000 END, DATE '2020-01-01',
       CASE WHEN p.id %% 200 = 7 THEN DATE '2022-12-31' END,
       CASE WHEN p.id %% 200 = 7 THEN 'terminated' ELSE 'active' END,
       CASE WHEN p.id %% 200 = 7 THEN 'other' ELSE '' END, now(), now()
FROM enrollment_person p
CROSS JOIN LATERAL (SELECT date_part('year', age(DATE '2026-01-01', p.birth_date))::int AS age) a
CROSS JOIN LATERAL (SELECT
    CASE WHEN a.age >= 18 AND p.id %% 10 < 3 THEN 'employee' ELSE 'resident' END AS scheme,
    CASE WHEN a.age >= 18 AND p.id %% 10 < 3 THEN
             CASE WHEN a.age >= 60 THEN 'retired' WHEN p.id %% 5 = 0 THEN 'flexible' ELSE 'active' END
         WHEN a.age < 18 THEN 'minor' WHEN a.age <= 24 AND p.id %% 3 = 0 THEN 'student' ELSE 'adult' END
        AS category) c
ORDER BY p.id
"""

INSTITUTIONS = """
INSERT INTO benefits_institution (code, name, kind, level, district_id, agreement_status, agreement_start,
    credit_measure_reason, on_inspection_list, created_at, updated_at)
SELECT CASE WHEN s.k = 'hospital' THEN 'H' ELSE 'P' END || d.code || lpad(s.i::text, 5, '0'),
       d.name || CASE WHEN s.k = 'hospital' THEN '医院' ELSE '药店' END || s.i, s.k,
       CASE WHEN s.k = 'hospital' THEN s.i %% 3 + 1 ELSE 0 END, d.id, 'active', DATE '2020-01-01', '', false,
       now(), now()
FROM core_district d
CROSS JOIN (SELECT k, i FROM unnest(ARRAY['hospital', 'pharmacy']) k, generate_series(1, %(per)s) i) s
"""

# One row per g; g picks a person (and their district), the year follows g (ids grow with time).
SETTLEMENTS = """
INSERT INTO benefits_settlement (institution_id, settlement_number, kind, status, person_id, enrollment_id,
    district_id, scheme, benefit_type, institution_level, diagnosis_code, service_date, discharge_date, year,
    total_cost, eligible_cost, deductible_applied, pooled_paid, critical_paid, aid_paid, account_paid, out_of_pocket,
    aid_recipient, policy_id, steps, request_fingerprint, settled_at, reversal_reason, created_at, updated_at)
SELECT i.ids[1 + (g / 7) %% array_length(i.ids, 1)], 'B' || g, 'direct',
       CASE WHEN g %% 100 = 99 THEN 'reversed' ELSE 'settled' END, e.person_id, e.id, e.district_id, e.scheme,
       t.kind, CASE WHEN t.kind = 'pharmacy' THEN 0 ELSE 1 END, 'J06.9', y.day,
       CASE WHEN t.kind = 'inpatient' THEN y.day + 5 END, date_part('year', y.day)::int,
       100, 100, 0, 30, 0, 0, 0, 70, false,
       CASE WHEN e.scheme = 'employee' THEN
            CASE t.kind WHEN 'outpatient' THEN %(e_outpatient)s WHEN 'inpatient' THEN %(e_inpatient)s
                        ELSE %(e_pharmacy)s END
       ELSE CASE t.kind WHEN 'outpatient' THEN %(r_outpatient)s WHEN 'inpatient' THEN %(r_inpatient)s
                        ELSE %(r_pharmacy)s END END,
       '[]', '', now(), '', now(), now()
FROM generate_series(1::bigint, %(n)s) g
CROSS JOIN LATERAL (SELECT %(e0)s + (g * 7919) %% %(ne)s AS eid,
                           DATE '2021-01-01' + (g * 1095 / (%(n)s + 1))::int AS day) y
JOIN enrollment_enrollment e ON e.id = y.eid
CROSS JOIN LATERAL (SELECT CASE WHEN g %% 20 < 10 THEN 'outpatient' WHEN g %% 20 < 12 THEN 'inpatient'
                                ELSE 'pharmacy' END AS kind) t
JOIN inst i ON i.district_id = e.district_id
    AND i.kind = CASE WHEN t.kind = 'pharmacy' THEN 'pharmacy' ELSE 'hospital' END
"""


def build(n: int) -> None:
    from django.conf import settings
    from django.db import connection

    from benefits.models import BenefitPolicy
    from benefits.services import benefit_policy_load

    if not BenefitPolicy.objects.filter(year=2023).exists():
        path = settings.BASE_DIR / "benefits/reference/policy_2023.json"
        benefit_policy_load(actor=None, document=json.loads(path.read_text(encoding="utf-8")))
    surnames = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢谭"
    )
    given = (
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥"
        "才发成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆民友裕河哲江浩亮政谦亨奇固之轮"
    )
    with connection.cursor() as c:
        nd = scalar(c, "SELECT count(*) FROM core_district")
        started = time.perf_counter()
        # Each table is made only when missing, so a run stopped half-way resumes.
        if not scalar(c, "SELECT count(*) FROM enrollment_person"):
            c.execute(PERSONS, {"n": n, "nd": nd, "days": 33215, "surnames": surnames[:50], "given": given[:100]})
        if not scalar(c, "SELECT count(*) FROM enrollment_enrollment"):
            c.execute(ENROLLMENTS, {})
        if not scalar(c, "SELECT count(*) FROM benefits_institution"):
            c.execute(INSTITUTIONS, {"per": INSTITUTIONS_PER_DISTRICT})
        if scalar(c, "SELECT count(*) FROM benefits_settlement") >= n:
            c.execute("VACUUM ANALYZE")
            return
        c.execute("TRUNCATE benefits_settlement CASCADE")
        policy = {}
        for scheme in ("resident", "employee"):
            for kind in ("outpatient", "inpatient", "pharmacy"):
                sql = "SELECT MIN(id) FROM benefits_benefitpolicy WHERE year = 2023 AND benefit_type = %s"
                policy[f"{scheme[0]}_{kind}"] = scalar(c, sql + " AND scheme = %s", [kind, scheme]) or scalar(
                    c, sql, [kind]
                )
        e0 = scalar(c, "SELECT MIN(id) FROM enrollment_enrollment")
        ne = scalar(c, "SELECT MAX(id) - MIN(id) + 1 FROM enrollment_enrollment")
        c.execute(
            "CREATE TEMP TABLE inst AS SELECT district_id, kind, array_agg(id ORDER BY id) ids "
            "FROM benefits_institution GROUP BY district_id, kind"
        )
        c.execute(SETTLEMENTS, {"n": n, "e0": e0, "ne": ne, **policy})
        c.execute("DROP TABLE inst")
        c.execute("VACUUM ANALYZE")
        print(f"built in {time.perf_counter() - started:.0f} s")


# --- the pages --------------------------------------------------------------------------------------------


def list_routes():
    """(name, path, kind) of every GET list page: no path arguments, and the view pages by keyset."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "<" in route or route.startswith(("admin/", "api/schema", "api/docs")):
                    continue
                callback = p.callback
                cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
                if cls is not None:
                    if hasattr(cls, "list") and getattr(cls, "pagination_class", True) is not None:
                        found.append((f"{namespace}{p.name}", "/" + route, "api", cls))
                    continue
                try:
                    view = inspect.unwrap(callback)
                    source = inspect.getsource(view)
                    module = inspect.getmodule(view)
                except (OSError, TypeError):
                    continue
                # The view pages itself, or calls a helper of its module that does (e.g. a shared queue).
                helpers = [
                    n for n, f in inspect.getmembers(module, inspect.isfunction)
                    if f.__module__ == module.__name__ and "keyset_page(" in inspect.getsource(f)
                ]  # fmt: skip
                if "keyset_page(" in source or any(f"{h}(" in source for h in helpers):
                    found.append((f"{namespace}{p.name}", "/" + route, "web", callback))

    walk(get_resolver().url_patterns, "", "")
    return found


class _FormFields:
    """The GET form of a page: {name: [values]} for selects, [names] of text inputs."""

    def __init__(self, page: str):
        self.selects: dict[str, list[str]] = {}
        self.texts: list[str] = []
        for form in re.findall(r"<form\b[^>]*>(.*?)</form>", page, re.S):
            head = page[page.find(form) - 300 : page.find(form)]
            if 'method="post"' in head.rsplit("<form", 1)[-1].lower():
                continue
            for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
                values = [html.unescape(v) for v in re.findall(r'<option[^>]*value="([^"]*)"', body)]
                self.selects[name] = [v for v in values if v]
            for tag in re.findall(r"<input\b[^>]*>", form):
                kind = re.search(r'type="([^"]+)"', tag)
                name = re.search(r'name="([^"]+)"', tag)
                typed = kind is None or kind.group(1) in ("text", "search", "number", "date")
                if name and typed and name.group(1) not in ("after", "csrfmiddlewaretoken"):
                    self.texts.append(name.group(1))


def api_params(cls) -> list[str]:
    source = inspect.getsource(cls)
    names = set(re.findall(r'query_params\.get\(\s*"([a-z_]+)"', source))
    for group in re.findall(r"for \w+ in \(([^)]*)\)\s*}?", source):
        names |= set(re.findall(r'"([a-z_]+)"', group))
    return sorted(names - {"page_size", "cursor"})


def api_choices(cls, name: str) -> list[str]:
    model = getattr(getattr(getattr(cls, "serializer_class", None), "Meta", None), "model", None)
    if model is None:
        model = getattr(getattr(cls, "queryset", None), "model", None)
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - not a model field: a free-text parameter
        return []
    return [str(v) for v, _label in field.choices or []]


class Samples:
    """Values for free-text filters, taken from the clerk's district."""

    def __init__(self):
        from benefits.models import Institution, Settlement
        from core.models import District
        from enrollment.models import Person

        district = District.objects.get(code=CLERK_DISTRICT)
        # Not the newest: a person in the middle of the district, so an id search is not the first row.
        people = Person.objects.filter(district=district).order_by("id")
        count = people.count()
        person = people[count // 2]
        self.id_number, self.name, self.person_id = person.id_number, person.name, person.pk
        inst = Institution.objects.filter(district=district, kind="hospital").order_by("id").first()
        self.institution = inst.code if inst else "H50010300001"
        settlement = Settlement.objects.filter(district=district).order_by("id").first()
        self.settlement_number = settlement.settlement_number if settlement else "B1"

    def search(self) -> dict[str, str]:
        return {
            "full ID": self.id_number,
            "ID prefix 6": self.id_number[:6],
            "ID prefix 10": self.id_number[:10],
            "exact name": self.name,
        }

    def text(self, name: str) -> dict[str, str]:
        if name in ("q", "query", "search"):
            return self.search()
        values = {
            "year": "2023",
            "coverage_year": "2023",
            "institution": self.institution,
            "settlement_number": self.settlement_number,
            "person": str(self.person_id),
            "person_id": str(self.person_id),
            "date_from": "2023-01-01",
            "date_to": "2023-12-31",
            "actor": "bench_district_clerk",
        }
        return {name: values[name]} if name in values else {}


def users():
    from core.models import District, User
    from core.roles import Role
    from core.services import staff_user_create

    district = District.objects.get(code=CLERK_DISTRICT)
    made = {}
    for role in ROLES:
        username = f"bench_{role}"
        district_id = district.pk if role in (Role.DISTRICT_CLERK, Role.DISTRICT_REVIEWER) else None
        made[role] = User.objects.filter(username=username).first() or staff_user_create(
            actor=None, username=username, password="Bench-password-1", role=role, district_id=district_id
        )
    return made


def _next_after(kind: str, response) -> str | None:
    if kind == "api":
        nxt = response.json().get("next")
        return urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query).get("cursor", [None])[0] if nxt else None
    found = re.findall(r"[?&;]after=(\d+)", response.content.decode())
    return found[-1] if found else None


def cases_for(route, client, samples):
    """(label, params) per filter value; web pages read their own GET form, API views their parameters."""
    name, path, kind, target = route
    cases = [("no filter", {})]
    if kind == "web":
        response = client.get(path)
        if response.status_code != 200:
            return None
        form = _FormFields(response.content.decode())
        for field, values in form.selects.items():
            cases += [(f"{field}={v}", {field: v}) for v in values]
        for field in form.texts:
            cases += [(f"{field}: {label}", {field: v}) for label, v in samples.text(field).items()]
    else:
        response = client.get(path)
        if response.status_code != 200:
            return None
        for field in api_params(target):
            choices = api_choices(target, field)
            if choices:
                cases += [(f"{field}={v}", {field: v}) for v in choices]
            else:
                cases += [(f"{field}: {label}", {field: v}) for label, v in samples.text(field).items()]
    return cases


class _SqlClock:
    """Time spent inside the database during a request (the part plans decide; the rest is Python)."""

    def __init__(self):
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000


class _GcClock:
    """Time this process spends in Python's garbage collector (gc.callbacks): a full collection of the
    bench's own heap can stop a request for 100 ms, which a server process with a small heap would not see.
    Printed next to the slowest samples, so a pause of the bench is told apart from one of the page."""

    def __init__(self):
        self.ms = 0.0
        self._started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase, info):
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.ms += (time.perf_counter() - self._started) * 1000


GC_CLOCK = _GcClock()


def _get(client, path, params):
    """(response, ms, of it in SQL ms, of it in the garbage collector ms)."""
    from django.db import connection

    clock = _SqlClock()
    gc_before = GC_CLOCK.ms
    started = time.perf_counter()
    with connection.execute_wrapper(clock):
        response = client.get(path, params)
    return response, (time.perf_counter() - started) * 1000, clock.ms, GC_CLOCK.ms - gc_before


def _served(server, client, path, params):
    """(ms, 0, 0): one request to the running server at `server`, with the client's session."""
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    query = urllib.parse.urlencode(params, doseq=True)
    request = urllib.request.Request(f"{server}{path}{'?' + query if query else ''}", headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (the bench's own loopback URL)
        response.read()
        # Not sent to the login page (urllib follows redirects): the session is the role's.
        assert response.status == 200 and response.url == request.full_url, (path, params, response.url)
    return (time.perf_counter() - started) * 1000, 0.0, 0.0


def warm_sampler(client, path, params, server=None):
    """One warm request of a case, each time it is called: (ms, of it in SQL ms, of it in GC ms)."""
    if server:
        return lambda: _served(server, client, path, params)
    return lambda: _get(client, path, params)[1:]


def time_case(client, kind, path, params, repeat, deep, server=None):
    """(cold ms, [(warm ms, of it in SQL ms, of it in GC ms)], deep-page params or None)."""
    from django.db import connections

    connections.close_all()  # a fresh backend: the first request pays for catalogue and plan caches
    response, cold, _sql, _gc = _get(client, path, params)
    assert response.status_code == 200, (path, params, response.status_code)
    sample = warm_sampler(client, path, params, server)
    warm = [sample() for _ in range(repeat)]
    deep_params = None
    after = _next_after(kind, response)
    for _ in range(deep - 1):
        if after is None:
            break
        response = client.get(path, {**params, ("cursor" if kind == "api" else "after"): after})
        after = _next_after(kind, response)
    if after is not None:
        deep_params = {**params, ("cursor" if kind == "api" else "after"): after}
    return cold, warm, deep_params


def _p95(values):
    values = list(values)
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def p50(warm):
    return statistics.median(w for w, _s, _g in warm)


def p95(warm):
    return _p95(w for w, _s, _g in warm)


def sql_p95(warm):
    return _p95(s for _w, s, _g in warm)


def slowest_gc(warm):
    """The garbage collector's share of the slowest warm sample (ms)."""
    return max(warm)[2]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons, enrollments and settlements")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--deep", type=int, default=20, help="the deep page: follow `next` this many times")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", default="", help="only routes whose name contains one of these (comma-separated)")
    parser.add_argument("--progress", action="store_true", help="a line per round of warm samples")
    parser.add_argument("--server", default="", help="take the warm samples from this running server (HTTP)")
    args = parser.parse_args()

    os.environ["BENCH_KEEP_DB"] = "1"  # the city is kept for the next run (--rebuild makes it again)
    with bench_database(DB_NAME, reuse=not args.rebuild):
        from django.conf import settings
        from django.db import connection
        from django.test import Client as TestClient

        class Client(TestClient):
            """The test client calling the application as a server does. Client.request hooks two signal
            receivers around each request, and each hook leaves a weakref.finalize behind (3 per request,
            measured): over a run they made the bench's full collections take up to 100 ms, inside
            requests. It also copies the context of every template rendered. A server does neither."""

            def request(self, **request):
                response = self.handler(self._base_environ(**request))
                response.json = partial(self._parse_json, response)
                if response.cookies:
                    self.cookies.update(response.cookies)
                return response

        from benefits.models import Settlement
        from enrollment.models import Enrollment, Person

        settings.ALLOWED_HOSTS = ["*"]
        # One client asks thousands of times a minute: the API's per-user rate limit is not what is measured.
        from rest_framework.views import APIView

        APIView.get_throttles = lambda self: []
        logging.disable(logging.WARNING)
        import config.wsgi  # noqa: F401  (the server's start: every view loaded, the heap frozen; see settle_heap)

        if Person.objects.count() < args.persons or Settlement.objects.count() < args.persons:
            if 0 < Person.objects.count() < args.persons:
                raise SystemExit(f"{DB_NAME} holds a smaller city: run with --rebuild")
            build(args.persons)
        with connection.cursor() as c:
            c.execute("SELECT relname, reltuples::bigint FROM pg_class WHERE relname IN "
                      "('enrollment_person', 'enrollment_enrollment', 'benefits_settlement', 'core_auditevent',"
                      " 'contributions_contributionbill', 'enrollment_employer')")  # fmt: skip
            sizes = dict(c.fetchall())
        print(
            f"persons {Person.objects.count():,}  enrollments {Enrollment.objects.count():,}  "
            f"settlements {Settlement.objects.count():,}  (others, estimated: "
            + ", ".join(f"{k} {v:,}" for k, v in sizes.items() if "person" not in k and "enrollment_en" not in k)
            + ")"
        )
        samples = Samples()
        staff = users()
        only = [o for o in args.only.split(",") if o] or [""]
        routes = [r for r in list_routes() if any(o in r[0] for o in only)]
        print(f"{len(routes)} list pages from the URL resolver: " + ", ".join(r[0] for r in routes))
        if not routes:
            raise SystemExit(f"no list page's route name contains {args.only!r}")
        results = []
        samplers = []
        floors = {}
        for role, user in staff.items():
            # The floor: the same request machinery (session, login, menu, template) around a list that reads
            # no big table (the 41 districts), measured in the same run for the same role.
            client = Client()
            client.force_login(user)
            _cold, warm, _ = time_case(client, "web", "/districts/", {}, args.repeat, 1, args.server)
            floors[role] = warm
            print(f"floor /districts/ {role:<18} p50 {p50(warm):6.1f}  p95 {p95(warm):6.1f}")
        for route in routes:
            name, path, kind, _target = route
            for role, user in staff.items():
                client = Client()
                client.force_login(user)
                cases = cases_for(route, client, samples)
                if cases is None:
                    continue  # this role cannot open the page
                for label, params in cases:
                    cold, warm, deep_params = time_case(client, kind, path, params, 0, args.deep, args.server)
                    results.append((name, role, label, "page 1", cold, warm))
                    samplers.append(warm_sampler(client, path, params, args.server))
                    if deep_params is not None:
                        cold_d, warm_d, _ = time_case(client, kind, path, deep_params, 0, 1, args.server)
                        results.append((name, role, label, f"page {args.deep + 1}", cold_d, warm_d))
                        samplers.append(warm_sampler(client, path, deep_params, args.server))
        # The warm samples round-robin: sample k of every case, then sample k + 1. A burst of noise on the
        # machine (another process, a slower core) then lands on one sample of many cases, not on several
        # samples of one case in a row, which made a different few cases "slow" in each run (issue 14 point 5).
        for k in range(args.repeat):
            for (*_, warm), sample in zip(results, samplers, strict=True):
                warm.append(sample())
            if args.progress:
                print(f"  round {k + 1} of {args.repeat}: {len(results)} cases", flush=True)
        print(
            f"\n{'page':<34} {'role':<18} {'filter':<30} {'page':<8} {'cold':>7} {'p50':>7} {'p95':>7} {'sql p95':>7}"
        )
        for name, role, label, page, cold, warm in results:
            print(
                f"{name:<34} {role:<18} {label[:30]:<30} {page:<8} {cold:7.1f} "
                f"{p50(warm):7.1f} {p95(warm):7.1f} {sql_p95(warm):7.1f}"
            )
        worst = sorted(results, key=lambda r: -p95(r[5]))[:15]
        print("\nworst p95 (ms), whole request, its SQL, and the GC pause in the slowest sample:")
        for name, role, label, page, cold, warm in worst:
            print(
                f"  {p95(warm):7.1f}  sql {sql_p95(warm):6.1f}  gc {slowest_gc(warm):6.1f}  cold {cold:7.1f}"
                f"  {name} {role} [{label}] {page}"
            )
        worst_sql = sorted(results, key=lambda r: -sql_p95(r[5]))[:10]
        print("worst SQL p95 (ms):")
        for name, role, label, page, _cold, warm in worst_sql:
            print(f"  {sql_p95(warm):7.1f}  whole {p95(warm):7.1f}  {name} {role} [{label}] {page}")
        worst_cold = sorted(results, key=lambda r: -r[4])[:5]
        print("worst cold (ms):")
        for name, role, label, page, cold, _warm in worst_cold:
            print(f"  {cold:7.1f}  {name} {role} [{label}] {page}")
        colds = [r[4] for r in results]
        slow_cold = sum(1 for c in colds if c >= TARGET_P95_MS)
        print(
            f"cold over all cases (one first request each, new connection): p50 {statistics.median(colds):.1f}"
            f" p95 {_p95(colds):.1f} ms; {slow_cold} of {len(colds)} cases >= {TARGET_P95_MS} ms"
        )
        print("floor again (the machine is shared: compare it with the start):")
        for role, user in staff.items():
            client = Client()
            client.force_login(user)
            _cold, warm, _ = time_case(client, "web", "/districts/", {}, args.repeat, 1, args.server)
            print(f"  /districts/ {role:<18} p95 {p95(warm):6.1f} (at start {p95(floors[role]):6.1f})")
        over = [r for r in results if p95(r[5]) >= TARGET_P95_MS]
        print(f"\n{len(results)} cases, {len(over)} with p95 >= {TARGET_P95_MS} ms")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
