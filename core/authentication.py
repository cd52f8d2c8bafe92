"""How the API knows its caller (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES, in this order):

1. ApiTokenAuthentication: ``Authorization: Token <key>`` of an institution's system. Listed first,
   because DRF asks the first class whether a refusal is 401 or 403: refused credentials (a wrong,
   revoked or expired token, a wrong password) answer 401 with ``WWW-Authenticate`` naming the scheme
   the client used; a request with no credentials at all keeps its 403, as before.
2. DRF's SessionAuthentication: staff in the browser.
3. LockoutAwareBasicAuthentication: staff scripts, under django-axes' lockout. Listed last: when it
   finds no credentials either, the request is anonymous and is counted against the anon rate here
   (core/throttling.py says why throttles alone cannot). Wrong tokens and passwords count there too.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.api_tokens import api_token_find, api_token_touch
from core.throttling import count_anonymous


def _refuse(request, message) -> exceptions.AuthenticationFailed:
    count_anonymous(request)  # raises 429 instead when this address is over the anon rate
    return exceptions.AuthenticationFailed(message)


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """The key's SHA-256 must match a token that is neither revoked nor expired, checked on every
    request (core/models/tokens.py). Wrong, revoked and expired tokens answer 401 in words.
    (A subclass of DRF's TokenAuthentication only so the OpenAPI schema describes it the same way;
    nothing of authtoken's model is used.)"""

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise _refuse(request, _("令牌格式不正确：应为 “Token <令牌>”，中间一个空格。"))
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise _refuse(request, _("令牌无效。")) from None
        token = api_token_find(key)
        if token is None:
            raise _refuse(request, _("令牌无效。"))
        if token.revoked_at is not None:
            raise _refuse(request, _("令牌已吊销，请向医保局申请新令牌。"))
        if token.expires_at <= timezone.now():
            raise _refuse(request, _("令牌已过期，请向医保局申请新令牌。"))
        if not token.user.is_active:
            raise _refuse(request, _("接口账号已停用。"))
        api_token_touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str | None:
        scheme = authentication.get_authorization_header(request).split(b" ", 1)[0].lower()
        return {b"token": self.keyword, b"basic": 'Basic realm="api"'}.get(scheme)


class LockoutAwareBasicAuthentication(authentication.BasicAuthentication):
    """DRF's basic auth goes through django.contrib.auth.authenticate(), so django-axes counts its
    failures exactly like the login page's (per user name and client address, AXES_* in settings).
    When axes refuses a locked-out pair it only marks the request; this says so instead of "wrong
    password"."""

    def authenticate(self, request):
        try:
            result = super().authenticate(request)
        except exceptions.AuthenticationFailed:  # a malformed header, or refused below (counted once)
            count_anonymous(request)
            raise
        if result is None:  # no basic credentials, and (listed last) no token or session either
            count_anonymous(request)
        return result

    def authenticate_credentials(self, userid, password, request=None):
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if request is not None and getattr(request, "axes_locked_out", False):
                raise _refuse(
                    request, _("登录失败次数过多，此账号在您所在的网络地址已暂时锁定，请稍后再试或联系管理员解锁。")
                ) from None
            raise _refuse(request, _("用户名或密码错误。")) from None


class LockoutAwareBasicScheme(OpenApiAuthenticationExtension):
    """The OpenAPI schema names basic auth as before (drf-spectacular matches its own class exactly)."""

    target_class = "core.authentication.LockoutAwareBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}
