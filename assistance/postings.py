"""How medical aid posts to the fund books (registered in `AssistanceConfig.ready()`).

依申请救助 paid (the application moves to 已支付): an aid payment of 医疗救助资金, of the application's year,
dated the day paid. (资助参保 posts with the bill; aid within a settlement posts with the settlement.)"""

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from core.ledger import PostingRule, Row, rule_scope, spend
from core.ledger_chart import MEDICAL_AID
from core.money import to_fen

from .models import AidApplication


def aid_application_rows(*, year: int | None = None, district_id: int | None = None, **filters: Any) -> list[Row]:
    paid = rule_scope(
        AidApplication.objects.filter(
            status=AidApplication.Status.PAID, paid_on__isnull=False, approved_amount__isnull=False
        ),
        year=year,
        district_id=district_id,
        **filters,
    )
    rows: list[Row] = []
    for g in paid.values("district_id", "year", "paid_on").annotate(total=Sum("approved_amount")).order_by():
        rows += spend(
            fund=MEDICAL_AID, expense="aid_payment", amount=to_fen(g["total"] or Decimal(0)),
            district_id=g["district_id"], year=g["year"], on=g["paid_on"],
        )  # fmt: skip
    return rows


POSTING_RULES = (PostingRule("aid_application", aid_application_rows),)
