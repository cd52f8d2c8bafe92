"""API rate limits (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES), one scope per kind of caller.

* ``anon``: requests without valid credentials, counted per client address (core.context.client_ip,
  which believes X-Forwarded-For only from our own proxies; DRF's own ident takes it from anyone).
  DRF checks throttles after authentication and permissions, so a request without credentials would
  be answered 401 before any throttle ran, and a wrong token or password would never be counted. So
  core.authentication counts these requests itself, while it authenticates (``count_anonymous``);
  the throttle class below only covers what that missed.
* ``staff``: people with a session or basic auth, counted per account.
* ``token``: institutions' systems with an API token, counted per account. Machine traffic
  (POST /api/v1/settlements/ from a hospital's cash desks), so it has its own, higher rate.

Exactly one scope applies to a request. Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
read on every request (DRF's classes read them once at import, so a test's settings could not change
them). The counters live in the default cache, which must be shared by all server processes: Redis in
production (config/settings/base.py, CACHES). If Redis cannot be reached the request goes through.

Over the rate, the answer is 429 with ``Retry-After`` and a JSON ``detail`` in Chinese, raised here
rather than through the view's ``throttled()``, so every view and the authentication step say it the
same way.
"""

import logging
import math

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError
from rest_framework import exceptions, throttling
from rest_framework.settings import api_settings

from core.context import client_ip
from core.models import ApiToken

logger = logging.getLogger(__name__)

_COUNTED = "_yibao_anon_counted"


class ApiThrottled(exceptions.Throttled):
    default_detail = _("请求过于频繁，请稍后再试")

    def __init__(self, wait: float | None = None):
        seconds = None if wait is None else max(1, math.ceil(wait))
        detail = None if seconds is None else gettext("请求过于频繁，请在 %(seconds)s 秒后重试") % {"seconds": seconds}
        exceptions.APIException.__init__(self, detail)
        self.wait = seconds


class _ScopedThrottle(throttling.SimpleRateThrottle):
    def applies_to(self, request) -> bool:
        raise NotImplementedError

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:  # None is allowed and means "no limit"; a missing scope is a mistake
            raise ImproperlyConfigured(f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] has no {self.scope!r} rate")
        return rates[self.scope]

    def allow_request(self, request, view) -> bool:
        if self.applies_to(request):
            self.check(request, view)
        return True

    def check(self, request, view=None) -> None:
        """Count this request in its bucket; raise ApiThrottled (429) when the bucket is full."""
        self.rate = self.get_rate()  # per request: see the module docstring
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            allowed = super().allow_request(request, view)
        except RedisError:
            # Redis unreachable: let the request through rather than stop every hospital's settlements.
            logger.warning("API rate limit not checked: the cache is unreachable", exc_info=True)
            return
        if not allowed:
            raise ApiThrottled(wait=self.wait())

    def get_cache_key(self, request, view) -> str | None:
        ident = self.ident(request)
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}


def _authenticated(request) -> bool:
    return bool(request.user and request.user.is_authenticated)


def _by_token(request) -> bool:
    return isinstance(getattr(request, "auth", None), ApiToken)


class AnonymousRateThrottle(_ScopedThrottle):
    scope = "anon"

    def applies_to(self, request) -> bool:
        return not getattr(request, _COUNTED, False) and not _authenticated(request)

    def ident(self, request) -> str | None:
        return client_ip(request) or "unknown"


def count_anonymous(request) -> None:
    """From the authentication step (request.user is not known yet): count a request that brought no
    valid credentials, once; raise ApiThrottled when its address is over the anon rate."""
    if getattr(request, _COUNTED, False):
        return
    setattr(request, _COUNTED, True)
    AnonymousRateThrottle().check(request)


class StaffRateThrottle(_ScopedThrottle):
    scope = "staff"

    def applies_to(self, request) -> bool:
        return _authenticated(request) and not _by_token(request)

    def ident(self, request) -> str | None:
        return str(request.user.pk)


class TokenRateThrottle(_ScopedThrottle):
    scope = "token"

    def applies_to(self, request) -> bool:
        return _authenticated(request) and _by_token(request)

    def ident(self, request) -> str | None:
        return str(request.user.pk)
