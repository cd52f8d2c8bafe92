"""The terms medical aid gives a settlement (the third tier), as the calculator reads them."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class AidTerms:
    """Aid ratio, deductible and yearly limit of the person's aid category on the day of care."""

    ratio: Decimal
    deductible: Decimal
    annual_limit: Decimal


# The aid ratio per claim type when a year's policy file names none (benefits ClaimAidRatio): None keeps the
# aid category's own ratio. Pharmacy purchases get no aid: no seed extends medical aid to them, and 004's
# ">= 75%" (a Chengdu figure, a configurable default here) is about the yearly aid of in-policy costs.
DEFAULT_CLAIM_RATIOS: dict[str, Decimal | None] = {
    "inpatient": None,
    "chronic": None,
    "outpatient": None,
    "pharmacy": Decimal("0"),
}


def aid_terms_for_claim(terms: AidTerms | None, *, claim_ratio: Decimal | None) -> AidTerms | None:
    """The category's aid terms as they apply to one claim type: the claim type's ratio, when it has
    one, replaces the category's; a ratio of 0 means no aid on this claim type."""
    if terms is None or claim_ratio is None:
        return terms
    if claim_ratio <= 0:
        return None
    return AidTerms(ratio=claim_ratio, deductible=terms.deductible, annual_limit=terms.annual_limit)
