"""The terms medical aid gives a settlement (the third tier), as the calculator reads them."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class AidTerms:
    """Aid ratio, deductible and yearly limit of the person's aid category on the day of care."""

    ratio: Decimal
    deductible: Decimal
    annual_limit: Decimal
