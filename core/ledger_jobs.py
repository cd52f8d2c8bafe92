"""The fund books' batch jobs: the nightly reconciliation (对账) and the backfill (补记)."""

import logging
from typing import Any

from .failures import StaffError
from .ledger import Difference, books_backfill, books_reconcile
from .ledger_chart import FUNDS
from .models import District, JournalEntry
from .services import job_run_progress

logger = logging.getLogger(__name__)

RECONCILE_KIND = "fund_books_reconcile"
BACKFILL_KIND = "fund_books_backfill"
FUND_NAMES = {code: name for code, name, *_rest in FUNDS}
SHOWN = 20


def difference_text(d: Difference, *, districts: dict[int, str] | None = None) -> str:
    """One difference as staff read it."""
    district = (districts or {}).get(d.district_id, "全市") if d.district_id else "全市"
    source = JournalEntry.Source(d.source).label
    return (
        f"{d.year}年度 {district} {FUND_NAMES.get(d.fund, d.fund)} 科目 {d.account}（来源：{source}）："
        f"账簿 {d.books} 元，明细记录 {d.records} 元，差额 {d.records - d.books} 元"
    )


def differences_report(found: list[Difference]) -> list[str]:
    districts = dict(District.objects.values_list("pk", "name"))
    return [difference_text(d, districts=districts) for d in found]


def fund_books_reconcile_job(*, run_id: int, year: int | None = None) -> dict[str, Any]:
    """Books against records. A difference fails the run with the differences in words: a failed run is red
    on the jobs page and 工作台, and the fund page shows it as a red warning until a run finds none."""
    found = books_reconcile(year=year)
    job_run_progress(run_id=run_id, done=1, total=1)
    if found:
        lines = differences_report(found)
        logger.error("fund books differ from their records: %s", "; ".join(lines))
        more = f"；另有 {len(lines) - SHOWN} 处" if len(lines) > SHOWN else ""
        raise StaffError(f"基金账簿与明细记录不符，共 {len(lines)} 处：" + "；".join(lines[:SHOWN]) + more)
    return {"differences": 0}


def fund_books_backfill_job(*, run_id: int, year: int | None = None) -> dict[str, Any]:
    counts = books_backfill(year=year, job_run_id=run_id)
    job_run_progress(run_id=run_id, done=1, total=1)
    return {"entries_posted": sum(counts.values())}
