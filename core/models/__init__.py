from .base import TimeStampedModel
from .imports import ImportBatch, ImportRowError
from .jobs import JobRun
from .ledger import Fund, JournalEntry, JournalLine, LedgerAccount
from .reference import District
from .tokens import ApiToken
from .trail import AuditEvent
from .users import User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "District",
    "Fund",
    "ImportBatch",
    "ImportRowError",
    "JobRun",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "TimeStampedModel",
    "User",
]
