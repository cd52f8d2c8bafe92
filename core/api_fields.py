"""Serializer fields bounded to the database's and the calendar's limits, shared by every API.

Each field refuses, with a 400 and a message in words, what its column cannot hold or what no real
record has: money past its DECIMAL(p, s) or below zero, a year outside 1900..2100, a date outside
1900-01-01..2100-12-31, an integer past its column, text longer than its column. The OpenAPI schema
states the same bounds (minimum/maximum, pattern, maxLength), so clients and schemathesis see them.
"""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.forms import DATE_YEAR_MAX, DATE_YEAR_MIN

SMALLINT_MAX = 32767  # PositiveSmallIntegerField
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1  # BigAutoField primary keys

# Money columns are DECIMAL(12, 2): up to 9,999,999,999.99 yuan.
MONEY_DIGITS, MONEY_PLACES = 12, 2
MONEY_MAX = Decimal("9999999999.99")
# One claim, payment or application: at most 99,999,999.99 yuan, so that a year's totals (summed into
# the same DECIMAL(12, 2) columns) cannot overflow either.
AMOUNT_MAX = Decimal("99999999.99")

DATE_PATTERN = r"^(19\d\d|20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def _money_pattern(max_value: Decimal) -> str:
    integer_digits = len(str(int(max_value)))
    return rf"^\d{{1,{integer_digits}}}(\.\d{{1,2}})?$"


def money_field(*, max_value: Decimal = AMOUNT_MAX, digits: int = MONEY_DIGITS, **kwargs) -> serializers.DecimalField:
    """Yuan, at most two decimals, 0..max_value (a JSON string like "12.50" or a number)."""
    schema = {"type": "string", "format": "decimal", "pattern": _money_pattern(max_value)}
    field_class = extend_schema_field(schema)(type("MoneyField", (serializers.DecimalField,), {}))
    return field_class(
        max_digits=digits,
        decimal_places=MONEY_PLACES,
        min_value=Decimal("0"),
        max_value=max_value,
        error_messages={
            "min_value": "金额不能为负数",
            "max_value": f"金额不能超过 {max_value} 元",
            "max_digits": f"金额不能超过 {max_value} 元",
            "max_whole_digits": f"金额不能超过 {max_value} 元",
            "max_decimal_places": "金额最多两位小数",
            "invalid": "请填写金额，如 120.50",
        },
        **kwargs,
    )


def year_field(**kwargs) -> serializers.IntegerField:
    """A calendar year, 1900..2100 (or narrower: pass min_value / max_value)."""
    bounds = {"min_value": DATE_YEAR_MIN, "max_value": DATE_YEAR_MAX, **kwargs}
    low, high = bounds["min_value"], bounds["max_value"]
    message = f"年度应在 {low} 至 {high} 之间"
    return serializers.IntegerField(error_messages={"min_value": message, "max_value": message}, **bounds)


def _date_in_range(value):
    if not DATE_YEAR_MIN <= value.year <= DATE_YEAR_MAX:
        raise serializers.ValidationError(f"日期年份应在{DATE_YEAR_MIN}至{DATE_YEAR_MAX}之间，格式 YYYY-MM-DD")


@extend_schema_field({"type": "string", "format": "date", "pattern": DATE_PATTERN})
class BoundedDateField(serializers.DateField):
    """YYYY-MM-DD within 1900-01-01..2100-12-31."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {}).setdefault("invalid", "日期格式应为 YYYY-MM-DD")
        super().__init__(**kwargs)
        self.validators.append(_date_in_range)


def date_field(**kwargs) -> BoundedDateField:
    return BoundedDateField(**kwargs)


def small_int_field(**kwargs) -> serializers.IntegerField:
    """A PositiveSmallIntegerField column (tier, level): 0..32767 unless narrower bounds are given."""
    return serializers.IntegerField(**{"min_value": 0, "max_value": SMALLINT_MAX, **kwargs})


def id_field(**kwargs) -> serializers.IntegerField:
    """A primary key: 1..2^63-1."""
    return serializers.IntegerField(**{"min_value": 1, "max_value": BIGINT_MAX, **kwargs})


def query_int(params, name: str, *, min_value: int, max_value: int) -> int | None:
    """An optional integer query parameter, or a 400 naming it (never a 500 from the database)."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or not min_value <= value <= max_value:
        raise serializers.ValidationError({name: [f"应为 {min_value} 至 {max_value} 的整数"]})
    return value


def decimals_as_text(value: Any) -> Any:
    """A report's figures for JSON: Decimals as strings (exact to the fen), recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: decimals_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decimals_as_text(v) for v in value]
    return value
