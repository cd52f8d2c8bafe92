"""Writes of the enrollment app (one module per concern, re-exported here)."""

from .contributions import (
    contribution_bill_issue,
    contribution_bills_issue,
    payment_record,
)
from .people import (
    employer_register,
    enrollment_register,
    enrollment_terminate,
    enrollment_transfer,
    enrollment_update,
    person_register,
    person_reveal_id_number,
    person_update,
)
from .reference import district_load_reference

__all__ = [
    "contribution_bill_issue",
    "contribution_bills_issue",
    "district_load_reference",
    "employer_register",
    "enrollment_register",
    "enrollment_terminate",
    "enrollment_transfer",
    "enrollment_update",
    "payment_record",
    "person_register",
    "person_reveal_id_number",
    "person_update",
]
