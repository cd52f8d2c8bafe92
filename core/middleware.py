import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin

from core.context import client_ip, current_ip


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class StaffLanguageMiddleware(MiddlewareMixin):
    """Simplified Chinese unless the user picked another language with the switcher.

    The browser's Accept-Language is ignored on purpose: bureau PCs often run an English
    OS image, and staff must not get an English portal by accident.
    """

    def process_request(self, request) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


IDLE_KEY = "yibao_last_activity"


class IdleTimeoutMiddleware:
    """Log staff out after SESSION_IDLE_SECONDS without a request of their own.

    Background polling (progress bars send `X-Yibao-Poll`) keeps the page fresh but is not activity,
    so a forgotten progress page does not keep a session alive for ever.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(IDLE_KEY)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                    return response
            elif not request.headers.get("X-Yibao-Poll") and (
                last is None or now - last >= settings.SESSION_IDLE_STAMP_SECONDS
            ):
                # Stamped at most once a minute: each stamp is a session write (a database UPDATE), and
                # a 30-minute timeout needs no finer clock than that.
                request.session[IDLE_KEY] = now
        return self.get_response(request)
