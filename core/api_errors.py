"""How the API answers errors: always JSON, always a status code the OpenAPI schema documents.

- Services raise Django's ValidationError; the API answers it as a 400 with field messages
  (`{"field": ["message", ...]}`, `non_field_errors` for the whole request).
- Every other error is `{"detail": "message"}`: 401/403 (authentication, role), 404 (no such record in
  your scope, or no such URL under /api/), 405, 406, 409 (a reused idempotency key), 415, 429, 500.
- ApiJsonErrorsMiddleware turns what Django itself answers under /api/ (the URL resolver's 404, the
  lockout page, the 500 page) into the same JSON shape, so no HTML reaches an API client.
- schema_error_responses (a drf-spectacular postprocessing hook) documents those answers on every
  operation of the schema.
"""

from http import HTTPStatus

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import JsonResponse
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"


class Conflict(APIException):
    status_code = 409
    default_detail = "请求与已有记录冲突"


def exception_handler(exc, context):
    # A reused idempotency key (e.g. a settlement number) with different content: 409, not 400.
    if isinstance(exc, DjangoValidationError) and getattr(exc, "conflict", False):
        exc = Conflict(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = ValidationError(detail=detail)
    elif isinstance(exc, (DataError, OverflowError)):
        # A value past a column's or the calendar's range that validation let through: the client's
        # input, so 400, never a 500 (the serializers bound every field; this is the safety net).
        exc = ValidationError(detail={"non_field_errors": ["数值或日期超出允许范围"]})
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # ValidationError("...") without a field: the same object shape as every other 400.
        response.data = {"non_field_errors": response.data}
    return response


def _is_json(response) -> bool:
    return (response.get("Content-Type") or "").split(";")[0].strip().endswith("json")


class ApiJsonErrorsMiddleware:
    """Under /api/, an error answered outside DRF (no URL matched, a lockout, a crash) comes out as
    `{"detail": ...}` JSON with the same status code and headers (e.g. Allow on a 405)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400 or _is_json(response):
            return response
        status = response.status_code
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        replacement = JsonResponse({"detail": _DETAILS.get(status, phrase)}, status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if response.has_header(header):
                replacement[header] = response[header]
        return replacement


_DETAILS = {
    400: "请求无效",
    401: "未提供有效的身份认证信息",
    403: "您没有执行该操作的权限",
    404: "未找到",
    405: "不支持该请求方法",
    406: "无法满足请求的 Accept 头",
    413: "请求体过大",
    415: "不支持该请求的媒体类型",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
}


# --- The schema: every operation documents the errors it can answer ------------------------------

ERROR_COMPONENT = "ErrorDetail"
VALIDATION_COMPONENT = "ValidationErrors"
_COMPONENTS = {
    ERROR_COMPONENT: {
        "type": "object",
        "description": "Any error other than a validation error.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    VALIDATION_COMPONENT: {
        "type": "object",
        "description": "Validation errors: each field (or non_field_errors) with its messages.",
        "additionalProperties": {},
    },
}
_DESCRIPTIONS = {
    "400": "请求数据无效（按字段列出原因）",
    "401": "未认证",
    "403": "无权限（角色、辖区或 CSRF）",
    "404": "记录不存在或不在您的辖区",
    "406": "无法满足 Accept 头",
    "409": "与已有记录冲突",
    "415": "不支持的请求体类型",
    "429": "请求过于频繁",
}
_BODY_METHODS = {"post", "put", "patch"}
_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def _error_response(code: str) -> dict:
    component = VALIDATION_COMPONENT if code == "400" else ERROR_COMPONENT
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def schema_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: every operation documents 400, 401, 403, 404, 406
    and 429; operations with a body also 409 and 415. An operation's own description of a code wins."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(_COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            codes = ["400", "401", "403", "404", "406", "429"]
            if method in _BODY_METHODS:
                codes += ["409", "415"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error_response(code))
    return result
