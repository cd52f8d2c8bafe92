"""The audit trail's hash chain: each sealed event carries sha256(previous hash + its own fields).

How events join the chain (the trade-off):

* A BEFORE INSERT trigger could hash every event as it is written, but to read the previous hash
  safely it must take a lock that it holds until its transaction commits. Services write their audit
  event inside their own transaction, and some of those run for minutes (an import's apply, a yearly
  batch chunk), so every login and every edit in the city would queue behind them.
* So events are written unsealed (``chain_seq`` empty) and a short *seal* step chains them afterwards,
  in id order, under one transaction-level advisory lock held only for the seal itself (milliseconds).
  It runs right after each transaction that wrote events commits (``seal_on_save``) and again
  in the nightly check, so an event waits seconds at most. Chain order is ``chain_seq``, not ``id``: an
  event that commits late simply joins the chain later.

The runtime database role may only SELECT and INSERT the audit table: on PostgreSQL the seal writes its
two columns through ``core_auditevent_seal()``, a SECURITY DEFINER function owned by the schema owner
(migration 0005_audit_chain); the append-only trigger lets a row's chain columns be written once, from
empty, with every other column unchanged, and refuses every other UPDATE and DELETE. What the chain adds
to those refusals: whoever bypasses them (the owner disabling the trigger, a DBA with a superuser shell)
leaves a broken link that ``manage.py audit_verify`` and the nightly ``audit_verify`` job name. Deleting
the newest events is caught against the anchor (last sequence number and hash) that the previous
successful check recorded in its run's counts. Events not yet sealed are protected by the trigger and
the grants only.
"""

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from .models import AuditEvent, JobRun

logger = logging.getLogger("yibao.audit_chain")

GENESIS = "0" * 64
# pg_advisory_xact_lock key of the seal step (other keys in use: 7301 for personal-account credits).
SEAL_LOCK_KEY = 7313
SEAL_BATCH = 5000
JOB_KIND = "audit_verify"

# The fields a link covers, in this order. A new AuditEvent column must be added here (and to the
# SQLite trigger of migration 0005_audit_chain) or changes to it go unnoticed.
CHAINED_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "district_id",
    "old_values",
    "new_values",
    "ip_address",
    "note",
)


def event_digest(*, previous: str, chain_seq: int, row: dict[str, Any]) -> str:
    """sha256 of the previous hash, the sequence number and the event's fields, as canonical JSON."""
    values: list[Any] = [previous, chain_seq]
    for name in CHAINED_FIELDS:
        value = row[name]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).isoformat()
        values.append(value)
    payload = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_for_seal() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Wait at most 10 s for another seal, then give the caller's lock_timeout back.
            cursor.execute("SELECT current_setting('lock_timeout'), set_config('lock_timeout', '10s', true)")
            previous = cursor.fetchone()[0]
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _chain_tip() -> tuple[int, str]:
    tip = (
        AuditEvent.objects.filter(chain_seq__isnull=False).order_by("-chain_seq").values_list("chain_seq", "chain_hash")
    )
    return tip.first() or (0, GENESIS)


def _seal_batch(limit: int) -> int:
    with transaction.atomic():
        _lock_for_seal()
        seq, previous = _chain_tip()
        rows = list(AuditEvent.objects.filter(chain_seq__isnull=True).order_by("id").values(*CHAINED_FIELDS)[:limit])
        if not rows:
            return 0
        ids, seqs, hashes = [], [], []
        for row in rows:
            seq += 1
            previous = event_digest(previous=previous, chain_seq=seq, row=row)
            ids.append(row["id"])
            seqs.append(seq)
            hashes.append(previous)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT core_auditevent_seal(%s::bigint[], %s::bigint[], %s::text[])", [ids, seqs, hashes]
                )
                sealed = cursor.fetchone()[0]
        else:
            sealed = 0
            for pk, chain_seq, chain_hash in zip(ids, seqs, hashes, strict=True):
                sealed += AuditEvent.objects.filter(pk=pk, chain_seq__isnull=True).update(
                    chain_seq=chain_seq, chain_hash=chain_hash
                )
        if sealed != len(ids):  # cannot happen under the lock; never leave a gap in the chain
            raise DatabaseError(f"audit seal wrote {sealed} of {len(ids)} links")
        return sealed


def audit_chain_seal(*, limit: int = SEAL_BATCH) -> int:
    """Chain every unsealed event (in batches of `limit`); returns how many were sealed."""
    total = 0
    while True:
        sealed = _seal_batch(limit)
        total += sealed
        if sealed < limit:
            return total


def _seal_after_commit() -> None:
    try:
        audit_chain_seal()
    except DatabaseError:  # a busy moment: the next commit or the nightly check seals these events
        logger.warning("audit seal postponed", exc_info=True)


def seal_on_save(sender: type, instance: AuditEvent, created: bool, **kwargs: Any) -> None:
    """post_save receiver (connected in CoreConfig.ready): every new event is sealed soon after commit."""
    if created and not kwargs.get("raw"):
        audit_chain_seal_soon()


def audit_chain_seal_soon() -> None:
    """Seal once the current transaction commits (once per transaction, however many events it wrote)."""
    if any(entry[1] is _seal_after_commit for entry in connection.run_on_commit):
        return
    transaction.on_commit(_seal_after_commit, robust=True)


@dataclass(frozen=True)
class ChainBreak:
    """The first link that does not hold."""

    event_id: int | None
    occurred_at: dt.datetime | None
    chain_seq: int
    reason: str

    def describe(self) -> str:
        when = self.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if self.occurred_at else "—"
        return _("操作日志哈希链在第 %(seq)s 环断开（事件编号 %(id)s，时间 %(when)s）：%(reason)s") % {
            "seq": self.chain_seq,
            "id": self.event_id if self.event_id is not None else "—",
            "when": when,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_seq: int
    last_hash: str
    unsealed: int
    broken: ChainBreak | None


def audit_chain_verify(
    *, anchor: tuple[int, str] | None = None, progress: Callable[[int], None] | None = None
) -> ChainReport:
    """Recompute the chain from the first event; stop at the first link that does not hold.

    `anchor` (sequence number, hash) is what an earlier check saw at the end of the chain: that link
    must still be there with the same hash, else the newest events were removed or rewritten."""
    expected, previous, checked = 1, GENESIS, 0
    rows = (
        AuditEvent.objects.filter(chain_seq__isnull=False)
        .order_by("chain_seq")
        .values("chain_seq", "chain_hash", *CHAINED_FIELDS)
        .iterator(chunk_size=2000)
    )
    for row in rows:
        if row["chain_seq"] != expected:
            reason = _("缺少第 %(missing)s 环（事件被删除）") % {"missing": expected}
            return ChainReport(checked, expected - 1, previous, 0, _break(row, reason))
        if event_digest(previous=previous, chain_seq=expected, row=row) != row["chain_hash"]:
            reason = _("内容与哈希不符（事件在写入后被改动）")
            return ChainReport(checked, expected - 1, previous, 0, _break(row, reason))
        if anchor is not None and expected == anchor[0] and row["chain_hash"] != anchor[1]:
            reason = _("与上次校验记录的链尾哈希不符（链被重写）")
            return ChainReport(checked, expected - 1, previous, 0, _break(row, reason))
        previous, checked, expected = row["chain_hash"], checked + 1, expected + 1
        if progress is not None and checked % 50_000 == 0:
            progress(checked)
    last_seq = expected - 1
    unsealed = AuditEvent.objects.filter(chain_seq__isnull=True).count()
    if anchor is not None and last_seq < anchor[0]:
        reason = _("上次校验时链长 %(then)s 环，现只剩 %(now)s 环（最新的事件被删除）") % {
            "then": anchor[0],
            "now": last_seq,
        }
        broken = ChainBreak(event_id=None, occurred_at=None, chain_seq=last_seq + 1, reason=reason)
        return ChainReport(checked, last_seq, previous, unsealed, broken)
    return ChainReport(checked, last_seq, previous, unsealed, None)


def _break(row: dict[str, Any], reason: str) -> ChainBreak:
    return ChainBreak(event_id=row["id"], occurred_at=row["occurred_at"], chain_seq=row["chain_seq"], reason=reason)


def last_anchor() -> tuple[int, str] | None:
    """The chain's end as the last successful nightly check recorded it."""
    run = (
        JobRun.objects.filter(kind=JOB_KIND, status=JobRun.Status.SUCCEEDED, counts__has_key="chain_length")
        .order_by("-finished_at", "-id")
        .values_list("counts", flat=True)
        .first()
    )
    if not run or not run.get("chain_length"):
        return None
    return int(run["chain_length"]), str(run["chain_tip"])
