"""Holds on an institution's settlements that come from its credit rating (信用评价结果运用).

The rating job lives in audit, the roof layer that settlements may not import; it writes its result
onto the institution (`settlement_review_from`, `credit_measure_reason`) and this module reads it back.
"""

import datetime as dt

from django.utils.translation import gettext as _

from .models import Institution


def institution_settlement_hold(*, institution: Institution, on: dt.date) -> str | None:
    """Why a settlement of `institution` made on `on` is held for review, in Chinese; None if it is not.

    `on` is the day the claim is settled, not the service date: a hold stops claims that arrive after it,
    whatever day the care was given.
    """
    start = institution.settlement_review_from
    if start is None or on < start:
        return None
    reason = institution.credit_measure_reason or _("信用评价结果")
    return _("%(name)s因%(reason)s，自 %(date)s 起结算暂缓，须经医保部门逐笔审核") % {
        "name": institution.name,
        "reason": reason,
        "date": start.isoformat(),
    }
