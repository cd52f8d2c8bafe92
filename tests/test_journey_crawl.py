"""The journey crawl: every demo user, every menu page and every page one click away.

Loads the demo data the way `make setup` does, logs in through the form as each demo user,
opens each link of the main navigation and every same-origin link (and GET form) on those
pages, and checks on every page:

- no 5xx, and no 403/404/405 behind a link the user was shown;
- no browser console error and no uncaught script error;
- no developer text (dict/list reprs, exception names, model labels, job codes, None/True/False);
- no untranslated English in the zh-hans UI;
- zero axe-core violations (WCAG 2.1 A/AA).

Pages are found by crawling, so new pages join on their own. Numeric ids in URLs are folded so
that at most two pages of one URL pattern are opened per user. All failures are collected and
reported once at the end, grouped by page; the report is also written to /tmp/crawl_report.txt.
"""

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit

import pytest
from django.core.management import call_command

from core.management.commands.seed_demo_users import DEMO_PASSWORD, DEMO_USERS
from core.models import ApiToken, User
from tests.browser_support import axe_violations, format_axe_violations
from tests.seeding import reseed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT_PATH = "/tmp/crawl_report.txt"
PER_PATTERN = 2
EXAMPLES_PER_KIND = 4

# The Makefile's `setup` target, in its order.
SETUP_COMMANDS = [
    ("load_reference",),
    ("benefit_policy", "load"),
    ("seed_demo_users",),
    ("seed_demo_people",),
    ("seed_demo_contributions",),
    ("seed_demo_benefits",),
    ("seed_demo_remote",),
    ("seed_demo_supervision",),
]

# Not followed: leaving the session, switching language, downloads, the admin site, API docs.
SKIP_PATH = re.compile(
    r"^/(logout|i18n|admin|api|static|media)(/|$)|\.(csv|xlsx|xls|pdf|zip|json)$|/(export|download)(/|$|\.)"
)

# User names may show as they are (actor columns), and so may API token prefixes (random: "hvimk_h0" reads like
# a code identifier); the crawl adds every account and token in the database.
SHOWN_AS_IS = {username for username, *_ in DEMO_USERS}

DEV_TEXT = [
    ("dict/list repr", re.compile(r"[{\[]'[^']*'|'\s*:\s*[\[{'\d]|\]\}|'\]")),
    ("exception name", re.compile(r"\b\w*(Error|Exception)\b|Traceback|BadZipFile|DoesNotExist")),
    ("model label", re.compile(r"\b[a-z_]+\.[a-z_]+ #\d+")),
    ("python literal", re.compile(r"(?<![\w.-])(None|True|False|null|undefined|NaN)(?![\w.-])")),
    (
        "code identifier",
        re.compile(r"(?<![\w.@/-])(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?![\w.@/-])"),
    ),
]

# Latin words the Chinese UI may show: product and format names, units, demo user names.
ALLOWED_LATIN = {
    w.lower()
    for w in [
        *("Yibao", "API", "CSV", "XLSX", "XLS", "PDF", "HIS", "ICD", "ID", "IDs", "URL", "HTTP", "HTTPS"),
        *("REST", "JSON", "OpenAPI", "Swagger", "English", "htmx", "Django", "Celery", "Redis", "Token"),
    ]
}
TOKEN = re.compile(r"[A-Za-z0-9_.@-]+")


def english_words(text: str) -> list[str]:
    """Tokens that read as English words: 3+ letters, not a code (digits, all capitals, a capital after another
    letter as in a random key's prefix "sHQXDOVT" or "_ZRKJrny", an underscore), not a user name."""
    words = []
    for token in TOKEN.findall(text):
        token = token.strip(".-")
        if token in SHOWN_AS_IS or token.lower() in ALLOWED_LATIN or token.isupper():
            continue
        if re.search(r"[A-Za-z][A-Z]", token) or "_" in token:  # data (a key, a code), not a word of the UI
            continue
        if any(c.isdigit() for c in token) or not re.search(r"[A-Za-z]{3,}", token):
            continue
        words.append(token)
    return words


# Visible text nodes (not script/style/code), for the English and developer-text checks.
VISIBLE_TEXTS_JS = """() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const text = node.textContent.trim();
        if (!text) continue;
        const el = node.parentElement;
        if (!el || el.closest('script,style,noscript,template,code,pre,[data-crawl-ignore]')) continue;
        if (el.closest('option') ? !el.closest('select').checkVisibility() : !el.checkVisibility()) continue;
        out.push(text);
    }
    for (const el of document.querySelectorAll('input[placeholder],textarea[placeholder],[aria-label],[title]')) {
        if (!el.checkVisibility()) continue;
        for (const a of ['placeholder', 'aria-label', 'title']) {
            const v = el.getAttribute(a); if (v && v.trim()) out.push(v.trim());
        }
    }
    for (const el of document.querySelectorAll('input[type=submit][value],input[type=button][value]')) {
        if (el.checkVisibility()) out.push(el.value);
    }
    return out;
}"""

# Same-origin links and GET forms (as the URL their default submission opens), visible only.
LINKS_JS = """() => {
    const out = [];
    for (const a of document.querySelectorAll('a[href]')) {
        if (!a.checkVisibility() || a.hasAttribute('download')) continue;
        out.push({url: a.href, text: (a.innerText || a.getAttribute('aria-label') || '').trim().slice(0, 40)});
    }
    for (const f of document.querySelectorAll('form')) {
        if ((f.getAttribute('method') || 'get').toLowerCase() !== 'get' || !f.checkVisibility()) continue;
        const params = new URLSearchParams();
        for (const [k, v] of new FormData(f)) if (typeof v === 'string') params.append(k, v);
        const action = new URL(f.getAttribute('action') || location.href, location.href);
        action.search = params.toString();
        const button = f.querySelector('button, input[type=submit]');
        const label = ((button && (button.innerText || button.value)) || '').trim();
        out.push({url: action.href, text: 'GET form: ' + label});
    }
    return out;
}"""


def url_pattern(url: str) -> str:
    """Numeric path segments become <id>; the query keeps its parameter names only."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/<id>", parts.path)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    base: str
    # page URL -> (kind, detail) -> users who met it
    failures: dict[str, dict[tuple[str, str], list[str]]] = field(default_factory=lambda: defaultdict(dict))
    visits: int = 0

    def fail(self, url: str, kind: str, detail: str, role: str) -> None:
        roles = self.failures[url].setdefault((kind, detail), [])
        if role not in roles:
            roles.append(role)

    def report(self, seconds: float) -> str:
        kinds: dict[str, int] = defaultdict(int)
        for problems in self.failures.values():
            for kind, _ in problems:
                kinds[kind] += 1
        lines = [
            f"Journey crawl: {self.visits} page visits, {len(self.failures)} pages with failures, {seconds:.0f} s.",
            "Failures by kind: " + (", ".join(f"{k}: {n}" for k, n in sorted(kinds.items())) or "none"),
            "",
        ]
        for url in sorted(self.failures):
            lines.append(f"== {url.removeprefix(self.base)}")
            shown: dict[str, int] = defaultdict(int)
            for (kind, detail), roles in self.failures[url].items():
                shown[kind] += 1
                if shown[kind] <= EXAMPLES_PER_KIND:
                    lines.append(f"  [{kind}] {detail}")
                    lines.append(f"      users: {', '.join(roles)}")
            lines.extend(
                f"  [{kind}] ... and {n - EXAMPLES_PER_KIND} more like these"
                for kind, n in shown.items()
                if n > EXAMPLES_PER_KIND
            )
            lines.append("")
        return "\n".join(lines)


def load_demo_data() -> None:
    reseed()
    for command in SETUP_COMMANDS:
        call_command(*command, stdout=open("/dev/null", "w"))  # noqa: SIM115


def check_page(crawl: Crawl, page, url: str, *, role: str, errors: list[str], axe_seen: set) -> None:
    for message in errors:
        crawl.fail(url, "console error", message[:300], role)
    texts = page.evaluate(VISIBLE_TEXTS_JS)
    for text in texts:
        developer = False
        for kind, regex in DEV_TEXT:
            match = regex.search(text)
            if not match or (kind == "code identifier" and match.group(0) in SHOWN_AS_IS):
                continue
            developer = True
            crawl.fail(url, "developer text", f"{kind}: {text[:160]!r}", role)
        if not developer and english_words(text):
            crawl.fail(url, "untranslated", f"{text[:160]!r}", role)
    key = (role, url_pattern(url))
    if key not in axe_seen:
        axe_seen.add(key)
        violations = axe_violations(page)
        if violations:
            crawl.fail(url, "axe", "\n    " + format_axe_violations(violations).replace("\n", "\n    "), role)


def visit(crawl: Crawl, page, url: str, *, role: str, found_on: str, text: str, axe_seen: set, errors: list) -> list:
    """Open one page, check it, return its links."""
    errors.clear()
    crawl.visits += 1
    where = f"link {text!r} on {found_on.removeprefix(crawl.base) or '/'}"
    try:
        response = page.goto(url, wait_until="load")
    except Exception as exc:  # a download or a navigation error: the crawl goes on
        if "Download is starting" not in str(exc):
            crawl.fail(url, "navigation", f"{exc.__class__.__name__}: {str(exc)[:200]} ({where})", role)
        return []
    status = response.status if response else 0
    if status >= 500:
        crawl.fail(url, "5xx", f"HTTP {status} ({where})", role)
        return []
    if status in (403, 404, 405):
        crawl.fail(url, "refused link", f"HTTP {status} behind a visible link ({where})", role)
        return []
    if "/login/" in page.url and "/login/" not in url:
        crawl.fail(url, "logged out", f"landed on the login page ({where})", role)
        return []
    content_type = (response.headers.get("content-type") or "") if response else ""
    if "text/html" not in content_type:
        return []
    check_page(crawl, page, url, role=role, errors=list(errors), axe_seen=axe_seen)
    return page.evaluate(LINKS_JS)


def normalise(crawl: Crawl, url: str) -> str | None:
    url, _ = urldefrag(url)
    if not url.startswith(crawl.base):
        return None
    path = urlsplit(url).path
    if SKIP_PATH.search(path):
        return None
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{crawl.base}{parts.path}" + (f"?{query}" if query else "")


def crawl_as(crawl: Crawl, browser, username: str) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    try:
        page.goto(f"{crawl.base}/login/")
        page.get_by_label("账号").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{crawl.base}/")
        nav = page.evaluate(
            "() => [...document.querySelectorAll('nav.mainnav a[href]')].map(a => ({url: a.href, text: a.innerText}))"
        )
        assert nav, f"{username}: no main navigation after logging in"
        seen: set[str] = set()
        per_pattern: dict[str, int] = defaultdict(int)
        axe_seen: set = set()

        def wanted(url: str | None) -> bool:
            if url is None or url in seen:
                return False
            pattern = url_pattern(url)
            if per_pattern[pattern] >= PER_PATTERN:
                return False
            seen.add(url)
            per_pattern[pattern] += 1
            return True

        home = f"{crawl.base}/"
        menu = [(normalise(crawl, link["url"]), link["text"]) for link in nav]
        menu = [(u, t) for u, t in menu if wanted(u)]
        one_click = []
        for url, text in menu:
            for link in visit(
                crawl, page, url, role=username, found_on=home, text=text, axe_seen=axe_seen, errors=errors
            ):
                target = normalise(crawl, link["url"])
                if wanted(target):
                    one_click.append((target, link["text"], url))
        for url, text, found_on in one_click:
            visit(crawl, page, url, role=username, found_on=found_on, text=text, axe_seen=axe_seen, errors=errors)
    finally:
        context.close()


def test_every_role_every_page_one_click_from_the_menu(page, live_server):
    started = time.monotonic()
    load_demo_data()
    SHOWN_AS_IS.update(User.objects.values_list("username", flat=True))
    SHOWN_AS_IS.update(ApiToken.objects.values_list("prefix", flat=True))
    crawl = Crawl(base=live_server.url)
    browser = page.context.browser
    for username, *_ in DEMO_USERS:
        crawl_as(crawl, browser, username)
    seconds = time.monotonic() - started
    report = crawl.report(seconds)
    with open(REPORT_PATH, "w", encoding="utf-8") as f:
        f.write(report + "\n")
    assert crawl.visits > 50, f"the crawl opened only {crawl.visits} pages:\n{report}"
    assert not crawl.failures, report


@pytest.mark.django_db(transaction=False)
def test_crawl_checks_flag_developer_text_and_english_but_not_chinese():
    def kinds(text: str) -> set[str]:
        found = {kind for kind, regex in DEV_TEXT if regex.search(text)}
        return found | ({"untranslated"} if not found and english_words(text) else set())

    assert kinds("ValidationError: {'year': ['该字段是必填项。']}") >= {"exception name", "dict/list repr"}
    assert kinds("BadZipFile: File is not a zip file") >= {"exception name"}
    assert kinds("audit.user #2") == {"model label"}
    assert kinds("import_apply") == {"code identifier"}
    assert kinds("CASH_OUT：9") == {"code identifier"}
    assert kinds("None") == {"python literal"}
    assert kinds("Pending review") == {"untranslated"}
    assert kinds("接口令牌 sHQXDOVT…") == set()  # a token's random prefix is data
    assert kinds("接口令牌 _ZRKJrny…") == kinds("：_ZRKJrny") == set()  # (once flaky: a capital, then small letters)
    for clean in [
        "年度结转 2023 已完成",
        "500103 渝中区",
        "ICD-10，如 J18.9",
        "CSV 或 XLSX",
        "DEMO00002-2",
        "J18.9 肺炎",
    ]:
        assert kinds(clean) == set(), clean
    assert url_pattern("http://x/enrollment/people/12/?after=5&q=") == "/enrollment/people/<id>/?after&q"
