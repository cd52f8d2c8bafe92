"""待遇享受期: which coverage year a day of care falls in, and the dates that year covers.

Residents and employees: the calendar year. University students (在校大学生) pay per academic year, so
coverage year Y runs from 1 Sept of Y-1 to 31 Aug of Y; in the graduation year it runs on to 31 Dec of Y
(渝医保发〔2022〕25号, from 2023-01-01), so a graduate is not left uncovered before a job or a new enrollment.
"""

import datetime as dt

STUDENT = "student"


def benefit_period(*, category: str, coverage_year: int, graduation_year: int | None = None) -> tuple[dt.date, dt.date]:
    if category != STUDENT:
        return dt.date(coverage_year, 1, 1), dt.date(coverage_year, 12, 31)
    end = dt.date(coverage_year, 12, 31) if graduation_year == coverage_year else dt.date(coverage_year, 8, 31)
    return dt.date(coverage_year - 1, 9, 1), end


def coverage_year_for(*, category: str, on: dt.date, graduation_year: int | None = None) -> int:
    """The coverage year whose benefit period contains `on`."""
    if category != STUDENT or on.month < 9:
        return on.year
    # Sept-Dec: the next academic year, except a graduate's extension to 31 Dec of the graduation year.
    return on.year if graduation_year == on.year else on.year + 1
