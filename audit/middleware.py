from django.conf import settings
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin

from .context import client_ip, current_ip


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
