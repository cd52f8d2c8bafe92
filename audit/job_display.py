"""How the audit app's jobs read on the jobs page: count keys that are data (fraud rule codes, rating
grades), and the year the 信用评价 form offers."""

import time

from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.models import Settlement

from .models import CreditRating, FraudRule

_RULES: dict[str, str] = {}
_RULES_READ_AT = 0.0
RULES_FRESH_SECONDS = 300  # rule names change rarely (admin); the jobs page must not query per cell


def fraud_scan_label(key: str) -> str | None:
    """A scan's count per rule: "新增疑点：<rule name>"."""
    global _RULES_READ_AT
    age = time.monotonic() - _RULES_READ_AT
    if age > RULES_FRESH_SECONDS or (key not in _RULES and age > 5):  # a rule added since: read again soon
        _RULES.clear()
        _RULES.update(FraudRule.objects.values_list("code", "name"))
        _RULES_READ_AT = time.monotonic()
    name = _RULES.get(key)
    return _("新增疑点：%(rule)s") % {"rule": name} if name else None


def credit_rating_label(key: str) -> str | None:
    """grade_A .. grade_D: how many institutions got each grade."""
    grade = key.removeprefix("grade_")
    if key.startswith("grade_") and grade in CreditRating.Grade.values:
        return _("评为%(grade)s的机构") % {"grade": CreditRating.Grade(grade).label}
    return None


def credit_rating_default_year() -> int:
    """The year of the latest settlement (by id: the primary key index, not a scan), never a future year."""
    this_year = timezone.localdate().year
    latest = Settlement.objects.order_by("-id").values_list("year", flat=True).first()
    return min(latest or this_year, this_year)
