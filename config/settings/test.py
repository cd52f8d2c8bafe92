"""Test settings: same as base, with a fast password hasher.

The suite runs on PostgreSQL when DATABASE_URL is set (CI), SQLite otherwise.
"""

import os

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# Tests run tasks in-process and synchronously so they can assert the outcome right
# away; tests/test_celery_worker.py switches this off to go through the real broker.
CELERY_TASK_ALWAYS_EAGER = True
YIBAO_EAGER_IN_THREAD = False
# No persistent connections: live-server threads and worker processes must not hold the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Idle logout compares wall-clock times stored in the session. A CI VM that is paused or has its clock
# stepped between two requests of one test would log the test user out (seen once: a 67-minute jump), so
# tests get a day; tests/test_security.py sets the real 30 minutes where it tests the timeout itself.
SESSION_IDLE_SECONDS = 24 * 60 * 60
# Every request stamps, so tests that count a page's queries see the same session write each time;
# tests/test_security.py sets the real minute where it tests the stamp itself.
SESSION_IDLE_STAMP_SECONDS = 0
# API rate limits: counters in this process's memory (not a Redis shared with other runs), and rates no
# test reaches by accident; tests/test_api_auth.py sets small ones where it tests throttling itself.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "yibao-tests"}}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "staff": "100000/min", "token": "100000/min"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, as the embedded default is, not Django's shared-cache in-memory database: there a job thread
    # and a page poll meet table locks (SQLITE_LOCKED) that no busy timeout waits out, so a browser test
    # of a background job failed at random. The file runs with the base settings' WAL and IMMEDIATE mode.
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
    # YIBAO_TEST_SQLITE: another file, for two suites side by side on one machine.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("YIBAO_TEST_SQLITE", str(BASE_DIR / "var" / "test.sqlite3"))  # noqa: F405
    }
