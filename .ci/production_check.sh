#!/usr/bin/env bash
# Production smoke check (issue 13, must-show 10): on PostgreSQL, under config.settings.production,
# run collectstatic, start gunicorn on a loopback port, then over HTTP fetch the login page, log in
# as a staff user with the form's CSRF token, fetch a staff page, fetch a static file by the hashed
# name the page links to, and stop gunicorn. Exits non-zero on any failure.
#
#   DATABASE_URL=postgresql://... bash .ci/production_check.sh
#
# Environment (all optional except DATABASE_URL):
#   PRODUCTION_CHECK_PORT          loopback port for gunicorn (default 8765)
#   PRODUCTION_CHECK_MIGRATE_URL   migrate first with this URL (the owner role); "skip" to not migrate
#                                  (default: DATABASE_URL)
#   PRODUCTION_CHECK_USERNAME/PASSWORD  an existing staff user; unset: a district clerk
#                                  "prodcheck_clerk" is created (or its password reset)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

: "${DATABASE_URL:?DATABASE_URL must name a PostgreSQL database}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "production_check: DATABASE_URL must be PostgreSQL" >&2; exit 2 ;;
esac

PORT=${PRODUCTION_CHECK_PORT:-8765}
export DJANGO_SETTINGS_MODULE=config.settings.production
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))')}
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
# Plain HTTP on loopback stands in for the TLS proxy: every request carries X-Forwarded-Proto: https
# (SECURE_PROXY_SSL_HEADER), as the proxy would send, so the HTTPS redirect stays on.
unset DJANGO_SECURE_SSL_REDIRECT
unset DJANGO_DEBUG
STATIC_DIR=$(mktemp -d /tmp/yibao-prodcheck-static.XXXXXX)
export DJANGO_STATIC_ROOT="$STATIC_DIR"
LOG=$(mktemp /tmp/yibao-prodcheck-gunicorn.XXXXXX)
GUNICORN_PID=""

cleanup() {
  if [[ -n "$GUNICORN_PID" ]]; then
    # Graceful stop: the master waits for its workers (--graceful-timeout 10), so their database
    # sessions are closed before the caller (pytest) drops the database; KILL after 15 s.
    step "stopping gunicorn"; kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GUNICORN_PID" 2>/dev/null || true
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  rm -rf "$STATIC_DIR" "$LOG"
}
trap cleanup EXIT

step() { echo "production_check: $* [${SECONDS}s]"; }
SECONDS=0

MIGRATE_URL=${PRODUCTION_CHECK_MIGRATE_URL:-$DATABASE_URL}
if [[ "$MIGRATE_URL" != "skip" ]]; then
  step "migrate"
  DATABASE_URL="$MIGRATE_URL" "$BIN/python" manage.py migrate --noinput >/dev/null
fi

if [[ -z "${PRODUCTION_CHECK_USERNAME:-}" ]]; then
  export PRODUCTION_CHECK_USERNAME=prodcheck_clerk
  export PRODUCTION_CHECK_PASSWORD
  PRODUCTION_CHECK_PASSWORD=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(16))')
  step "create staff user $PRODUCTION_CHECK_USERNAME"
  "$BIN/python" manage.py shell --no-imports -c '
import os
from core.models import District, User
from core.reference import district_load_reference
from core.roles import Role
from core.services import staff_user_create
if not District.objects.filter(code="500103").exists():
    district_load_reference(actor=None)
name, password = os.environ["PRODUCTION_CHECK_USERNAME"], os.environ["PRODUCTION_CHECK_PASSWORD"]
user = User.objects.filter(username=name).first()
if user is None:
    staff_user_create(actor=None, username=name, password=password, role=Role.DISTRICT_CLERK,
                      district_id=District.objects.get(code="500103").pk)
else:
    user.set_password(password)
    user.save(update_fields=["password"])
'
fi
: "${PRODUCTION_CHECK_PASSWORD:?PRODUCTION_CHECK_PASSWORD must be set with PRODUCTION_CHECK_USERNAME}"

step "collectstatic"
"$BIN/python" manage.py collectstatic --noinput >/dev/null
test -s "$STATIC_DIR/staticfiles.json" || { echo "production_check: no staticfiles manifest" >&2; exit 1; }

step "check --deploy"
"$BIN/python" manage.py check --deploy --fail-level ERROR

step "gunicorn on 127.0.0.1:$PORT"
"$BIN/gunicorn" config.wsgi --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 \
  --graceful-timeout 10 --no-control-socket --access-logfile - --error-logfile - >"$LOG" 2>&1 &
GUNICORN_PID=$!

PRODUCTION_CHECK_PORT=$PORT "$BIN/python" - <<'PY' || { echo "--- gunicorn log" >&2; tail -n 60 "$LOG" >&2; exit 1; }
import http.client, os, re, sys, time
from urllib.parse import urlencode

port = int(os.environ["PRODUCTION_CHECK_PORT"])
origin = f"https://127.0.0.1:{port}"
cookies: dict[str, str] = {}


def fail(message: str) -> None:
    print(f"production_check: FAIL {message}", file=sys.stderr)
    sys.exit(1)


def request(method: str, path: str, body: str | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": f"127.0.0.1:{port}", "X-Forwarded-Proto": "https", "Accept-Language": "zh-CN"}
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    sent.update(headers or {})
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    data = response.read()
    for value in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    conn.close()
    return response, data


for _ in range(150):  # up to 30 s for gunicorn to boot
    try:
        response, body = request("GET", "/login/")
        break
    except OSError:
        time.sleep(0.2)
else:
    fail("gunicorn did not answer on the loopback port")

if response.status != 200:
    fail(f"login page answered {response.status}")
html = body.decode()
csp = response.headers.get("Content-Security-Policy", "")
if "script-src 'self'" not in csp or "unsafe-inline" in csp:
    fail(f"login page Content-Security-Policy is {csp!r}")
if not response.headers.get("Permissions-Policy"):
    fail("login page has no Permissions-Policy header")
if not response.headers.get("Strict-Transport-Security"):
    fail("login page has no Strict-Transport-Security header")
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
if not token:
    fail("login form has no CSRF token")
print("production_check: login page 200 with CSP, Permissions-Policy and HSTS")

form = urlencode(
    {
        "csrfmiddlewaretoken": token.group(1),
        "username": os.environ["PRODUCTION_CHECK_USERNAME"],
        "password": os.environ["PRODUCTION_CHECK_PASSWORD"],
    }
)
response, body = request(
    "POST",
    "/login/",
    form,
    {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": f"{origin}/login/"},
)
if response.status != 302 or "sessionid" not in cookies:
    fail(f"login answered {response.status} without a session (wrong password or CSRF refused)")
print("production_check: logged in")

response, body = request("GET", "/enrollment/people/")
html = body.decode()
if response.status != 200:
    fail(f"staff page /enrollment/people/ answered {response.status}")
if "参保人" not in html or os.environ["PRODUCTION_CHECK_USERNAME"] not in html:
    fail("staff page does not show 参保人 and the signed-in user")
print("production_check: staff page /enrollment/people/ 200")

expected = {".css": "text/css", ".js": "javascript"}
for ext, ctype in expected.items():
    match = re.search(r'/static/[\w./-]+\.[0-9a-f]{12}' + re.escape(ext), html)
    if not match:
        fail(f"staff page links no hashed {ext} static file")
    response, body = request("GET", match.group(0), headers={"Accept-Encoding": "gzip"})
    got = response.headers.get("Content-Type", "")
    if response.status != 200 or ctype not in got or not body:
        fail(f"{match.group(0)} answered {response.status} {got!r}")
    if "immutable" not in response.headers.get("Cache-Control", ""):
        fail(f"{match.group(0)} is not served as immutable: {response.headers.get('Cache-Control')!r}")
    print(f"production_check: static {match.group(0)} 200 {got}")
PY

cleanup
GUNICORN_PID=""
trap - EXIT
echo "production_check: OK (${SECONDS}s)"
