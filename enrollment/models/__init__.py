from .people import SCHEME_CATEGORIES, Category, Employer, Enrollment, Gender, Person, Scheme, Transfer
from .staging import ImportStagingRow

__all__ = [
    "SCHEME_CATEGORIES",
    "Category",
    "Employer",
    "Enrollment",
    "Gender",
    "ImportStagingRow",
    "Person",
    "Scheme",
    "Transfer",
]
