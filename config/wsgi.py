"""WSGI entry point. Production serves it with gunicorn behind a TLS proxy (README: Production):

    DJANGO_SETTINGS_MODULE=config.settings.production gunicorn config.wsgi --bind 127.0.0.1:8000 --workers 4

Without DJANGO_SETTINGS_MODULE it falls back to the development settings.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()
