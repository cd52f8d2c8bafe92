"""Writes of the enrollment app (one module per concern, re-exported here)."""

from .people import (
    death_refusal,
    employer_register,
    enrollment_register,
    enrollment_terminate,
    enrollment_transfer,
    enrollment_update,
    person_death_record,
    person_register,
    person_reveal_id_number,
    person_update,
)

__all__ = [
    "death_refusal",
    "employer_register",
    "enrollment_register",
    "enrollment_terminate",
    "enrollment_transfer",
    "enrollment_update",
    "person_death_record",
    "person_register",
    "person_reveal_id_number",
    "person_update",
]
