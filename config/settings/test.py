"""Test settings: same as base, with a fast password hasher.

The suite runs on PostgreSQL when DATABASE_URL is set (CI), SQLite otherwise.
"""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# Tests run in-process tasks synchronously so they can assert the outcome right away.
YIBAO_EAGER_IN_THREAD = False
