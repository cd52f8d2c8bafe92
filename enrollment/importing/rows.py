"""Per-row checks of an enrollee list: pure Python, no database, one pass.

This runs once per row of files with millions of rows, so it avoids the ORM and
exceptions on the good path. Each problem becomes (row, column, value, reason).
"""

import datetime as dt
from array import array
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from ..validators import (
    ID_CHECK_CHARS,
    InvalidValue,
    id_check_char,
    mask_id_number,
    normalize_id_number,
    person_name_as_stored,
    validate_credit_code,
    validate_id_number,
    validate_person_name,
    validate_phone,
)
from .columns import CATEGORIES, GENDERS, SCHEME_CATEGORY_NAMES, SCHEMES, TIERS

RowError = tuple[int, str, str, str]  # row number, column header, value shown, reason
_FIELDS = ("name", "id_number", "gender", "birth_date", "district_code", "scheme", "category", "tier", "phone",
           "employer_code", "contribution_base")  # fmt: skip
_MAX_BASE = Decimal(10) ** 10  # numeric(12, 2)
_EARLIEST = dt.date(1900, 1, 1)
_TWO_PLACES = Decimal("0.01")


def repeat_key(id_number: str) -> int:
    """The duplicate-in-file key of a checked ID number, as an integer for core's RepeatFilter: its 17
    digits read in base 13, as the check character's sum reads them (EnrolleeRowChecker._id_number). One
    number per digit string (digits 0-9 are base-13 digits), below 13^17 < 2^63; they fix the 18th."""
    return int(id_number[:17], 13)


def repeat_key_id_number(key: int) -> str:
    """The ID number whose repeat_key is `key`."""
    digits = []
    for _ in range(17):
        key, digit = divmod(key, 13)
        digits.append(str(digit))
    first17 = "".join(reversed(digits))
    return first17 + id_check_char(first17)


class EnrolleeRowChecker:
    """Checks one row at a time; `check` returns the staging tuple or None and records errors."""

    def __init__(
        self,
        *,
        batch_id: int,
        district_ids: dict[str, int],
        allowed_district_ids: set[int] | None,
        positions: dict[str, int],
        today: dt.date,
    ) -> None:
        self.batch_id = batch_id
        self.district_ids = district_ids
        self.allowed = allowed_district_ids
        self.positions = positions
        self.today = today
        self.errors: list[RowError] = []
        self._width = max(positions.values()) + 1
        # A column the file lacks reads a "" put after the row's last cell (index -1: a row may have cells
        # past the header's).
        self._lacks_column = any(f not in positions for f in _FIELDS)
        self._pick = itemgetter(*(positions.get(f, -1) for f in _FIELDS))
        self.keys = array("q")  # the repeat_key of each row returned, in order (the caller empties it)
        self.nul_possible = True  # False for rows of a text known to hold no NUL (parallel.check_chunk)
        self._births: dict[str, bool] = {}  # the 8 digits of a birth date -> a real date, 1900 to today
        self._credit_codes: dict[str, str | InvalidValue] = {}  # as written -> as stored, or why not

    def _id_number(self, raw: str) -> str:
        """Fast path for the common well-formed number; the full validator explains any problem."""
        # GB 11643 weighs digit i (from the left, 0-16) by 2^(17-i) mod 11, and 13 = 2 (mod 11): read as a
        # base-13 number, the 17 digits are the weighted sum over 2, at C speed (tested against the standard's sum).
        if (
            len(raw) == 18
            and raw.isascii()
            and raw[:17].isdigit()
            and ID_CHECK_CHARS[2 * int(raw[:17], 13) % 11] == raw[17].upper()
        ):
            digits = raw[6:14]
            real = self._births.get(digits)
            if real is None:
                try:
                    birth = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
                except ValueError:
                    birth = None
                real = self._births[digits] = birth is not None and _EARLIEST <= birth <= self.today
            if real:
                return raw.upper()
        return validate_id_number(raw, today=self.today)  # normalizes, or raises InvalidValue with the reason

    def check(self, row_number: int, cells: list[str]) -> tuple | None:
        if len(cells) < self._width:
            cells = cells + [""] * (self._width - len(cells))
        if self._lacks_column:
            cells = [*cells, ""]
        (name, raw_id, gender, birth, district_code, scheme_text, category_text, tier_text, phone, employer_code,
         base_text) = self._pick(cells)  # fmt: skip
        errors = self.errors
        before = len(errors)
        if self.nul_possible and "\x00" in "".join(cells):
            errors.append((row_number, "", "", "该行含有不可见的控制字符（NUL），请检查文件"))
            return None

        if not person_name_as_stored(name):
            try:
                name = validate_person_name(name)
            except InvalidValue as exc:
                errors.append((row_number, "姓名", name[:20], str(exc)))

        id_number = ""
        if raw_id.startswith("#NUMERIC:"):
            shown = mask_id_number(raw_id[9:])
            errors.append((row_number, "身份证号", shown, "身份证号被存为数字，末几位已丢失，请设为文本格式"))
        else:
            try:
                id_number = self._id_number(raw_id)
            except InvalidValue as exc:
                shown = mask_id_number(normalize_id_number(raw_id))[:20]
                errors.append((row_number, "身份证号", shown, str(exc)))

        birth_date = ""
        if id_number:
            expected_gender = "M" if id_number[16] in "13579" else "F"
            birth_date = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
            if gender and GENDERS.get(gender) != expected_gender:
                errors.append((row_number, "性别", gender, "性别与身份证号不符"))
            if (
                birth
                and birth != birth_date
                and birth.replace("-", "").replace("/", "").replace(".", "") != id_number[6:14]
            ):
                errors.append((row_number, "出生日期", birth, "出生日期与身份证号不符"))
        else:
            expected_gender = ""

        district_id = self.district_ids.get(district_code)
        if district_id is None:
            errors.append((row_number, "区县代码", district_code, "区县代码不存在"))
        elif self.allowed is not None and district_id not in self.allowed:
            errors.append((row_number, "区县代码", district_code, "只能导入本人所属区县的人员"))

        scheme = SCHEMES.get(scheme_text)
        category = CATEGORIES.get(category_text)
        tier = None
        base = None
        if scheme is None:
            errors.append((row_number, "险种", scheme_text, "险种应为“职工医保”或“居民医保”"))
        elif category is None or category not in SCHEME_CATEGORY_NAMES[scheme]:
            errors.append((row_number, "人员类别", category_text, "人员类别与险种不符"))
        elif scheme == "resident":
            tier = TIERS.get(tier_text)
            if tier is None:
                errors.append((row_number, "档次", tier_text, "居民医保须填写档次（一档或二档）"))
            if employer_code:
                errors.append((row_number, "单位信用代码", employer_code, "居民医保不填写参保单位"))
            if base_text:
                errors.append((row_number, "缴费基数", base_text, "居民医保不填写缴费基数"))
        else:
            if tier_text:
                errors.append((row_number, "档次", tier_text, "职工医保不分档次"))
            if category == "active" and not employer_code:
                errors.append((row_number, "单位信用代码", "", "在职职工须填写参保单位的统一社会信用代码"))
            try:
                base = Decimal(base_text)
                if not base.is_finite() or base <= 0 or base >= _MAX_BASE or base != base.quantize(_TWO_PLACES):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.append(
                    (row_number, "缴费基数", base_text[:20], "缴费基数应为大于0、小于一百亿的金额，最多两位小数")
                )
        if employer_code and scheme == "employee":
            # A file names a few hundred employers over many rows: each code is checked once.
            checked = self._credit_codes.get(employer_code)
            if checked is None:
                try:
                    checked = validate_credit_code(employer_code)
                except InvalidValue as exc:
                    checked = exc
                self._credit_codes[employer_code] = checked
            if isinstance(checked, InvalidValue):
                errors.append((row_number, "单位信用代码", employer_code[:20], str(checked)))
            else:
                employer_code = checked

        if phone and not (len(phone) == 11 and phone.isdigit() and phone[0] == "1" and phone[1] in "3456789"):
            try:
                phone = validate_phone(phone)
            except InvalidValue as exc:
                errors.append((row_number, "联系电话", phone[:20], str(exc)))

        if len(errors) != before:
            return None
        self.keys.append(repeat_key(id_number))
        return (
            self.batch_id,
            row_number,
            id_number,
            name,
            expected_gender,
            birth_date,
            district_id,
            scheme,
            category,
            tier,
            phone,
            employer_code,
            base,
            False,
        )
