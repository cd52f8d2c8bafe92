"""Production server (issue 13, must-show 10): collectstatic and gunicorn under config.settings.production.

Runs .ci/production_check.sh against the test database: collectstatic with the manifest storage,
gunicorn on a loopback port, the login page, a form login with its CSRF token, a staff page and a
hashed static file, all over real HTTP. This test is the CI gate for the production server (it runs
in `make test`, which .ci/run runs on PostgreSQL).
"""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.conftest import PASSWORD, skip_or_fail

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "production_check.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_check(*, username: str, password: str) -> subprocess.CompletedProcess:
    if connection.vendor != "postgresql":
        skip_or_fail("the production check needs PostgreSQL (set DATABASE_URL)")
    if not shutil.which("gunicorn", path=str(ROOT / ".venv" / "bin")):
        skip_or_fail("gunicorn is not installed in .venv (pip install -r requirements.txt)")
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PRODUCTION_CHECK_")) and key != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=url,
        PRODUCTION_CHECK_MIGRATE_URL="skip",  # pytest-django migrated the test database already
        PRODUCTION_CHECK_PORT=str(_free_port()),
        PRODUCTION_CHECK_USERNAME=username,
        PRODUCTION_CHECK_PASSWORD=password,
    )
    return subprocess.run(
        ["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.fixture
def clerk_with_production_hash(clerk_yuzhong):
    """The test settings hash with MD5, which production does not accept: store a PBKDF2 hash."""
    clerk_yuzhong.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    clerk_yuzhong.save(update_fields=["password"])
    return clerk_yuzhong


def test_gunicorn_serves_login_staff_page_and_hashed_static_files(clerk_with_production_hash):
    clerk_yuzhong = clerk_with_production_hash
    result = _run_check(username=clerk_yuzhong.username, password=PASSWORD)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "login page 200 with CSP, Permissions-Policy and HSTS" in output
    assert "logged in" in output
    assert "staff page /enrollment/people/ 200" in output
    assert "static /static/css/yibao." in output and "text/css" in output
    assert "javascript" in output
    assert result.stdout.rstrip().splitlines()[-1].startswith("production_check: OK")


def test_check_fails_when_login_is_refused(clerk_with_production_hash):
    clerk_yuzhong = clerk_with_production_hash
    result = _run_check(username=clerk_yuzhong.username, password="not-the-password")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "FAIL login answered 200 without a session" in output
    assert "production_check: OK" not in output
