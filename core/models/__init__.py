from .base import TimeStampedModel
from .imports import ImportBatch, ImportRowError
from .jobs import JobRun
from .reference import District
from .tokens import ApiToken
from .trail import AuditEvent
from .users import User

__all__ = ["ApiToken", "AuditEvent", "District", "ImportBatch", "ImportRowError", "JobRun", "TimeStampedModel", "User"]
