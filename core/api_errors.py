"""Services raise Django's ValidationError; the API answers it as a 400 with field messages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


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
    return drf_exception_handler(exc, context)
