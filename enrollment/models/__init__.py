from .annual import YearEndSummary
from .contributions import ContributionBill, ContributionPayment, ContributionStandard
from .imports import ImportBatch, ImportRowError, ImportStagingRow
from .people import SCHEME_CATEGORIES, Category, Employer, Enrollment, Gender, Person, Scheme, Transfer
from .reference import District

__all__ = [
    "SCHEME_CATEGORIES",
    "Category",
    "ContributionBill",
    "ContributionPayment",
    "ContributionStandard",
    "District",
    "Employer",
    "Enrollment",
    "Gender",
    "ImportBatch",
    "ImportRowError",
    "ImportStagingRow",
    "Person",
    "Scheme",
    "Transfer",
    "YearEndSummary",
]
