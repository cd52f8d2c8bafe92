"""Per-row checks of an enrollee list: pure Python, no database, one pass.

This runs once per row of files with millions of rows, so it avoids the ORM and
exceptions on the good path. Each problem becomes (row, column, value, reason).
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from operator import mul

from ..validators import (
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    InvalidValue,
    mask_id_number,
    normalize_id_number,
    validate_credit_code,
    validate_id_number,
    validate_person_name,
    validate_phone,
)
from .columns import CATEGORIES, GENDERS, SCHEME_CATEGORY_NAMES, SCHEMES, TIERS

RowError = tuple[int, str, str, str]  # row number, column header, value shown, reason
_ASCII_ZERO_SHARE = 48 * sum(ID_WEIGHTS)
_MAX_BASE = Decimal(10) ** 10  # numeric(12, 2)
_EARLIEST = dt.date(1900, 1, 1)
_TWO_PLACES = Decimal("0.01")


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
        width = max(positions.values()) + 1
        self._width = width
        self._pos = [positions.get(f) for f in (
            "name", "id_number", "gender", "birth_date", "district_code", "scheme", "category", "tier", "phone",
            "employer_code", "contribution_base",
        )]  # fmt: skip

    def _id_number(self, raw: str) -> str:
        """Fast path for the common well-formed number; the full validator explains any problem."""
        if len(raw) == 18 and raw.isascii() and raw[:17].isdigit():
            # ASCII digits as bytes are their codes: subtract 48 x the sum of the weights once.
            total = sum(map(mul, raw.encode()[:17], ID_WEIGHTS)) - _ASCII_ZERO_SHARE
            if ID_CHECK_CHARS[total % 11] == raw[17].upper():
                try:
                    birth = dt.date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
                except ValueError:
                    birth = None
                if birth is not None and _EARLIEST <= birth <= self.today:
                    return raw.upper()
        return validate_id_number(raw, today=self.today)  # normalizes, or raises InvalidValue with the reason

    def check(self, row_number: int, cells: list[str]) -> tuple | None:
        if len(cells) < self._width:
            cells = cells + [""] * (self._width - len(cells))
        p = self._pos
        name, raw_id, gender, birth, district_code, scheme_text, category_text = (
            cells[p[0]], cells[p[1]], cells[p[2]] if p[2] is not None else "",
            cells[p[3]] if p[3] is not None else "", cells[p[4]], cells[p[5]], cells[p[6]],
        )  # fmt: skip
        tier_text = cells[p[7]] if p[7] is not None else ""
        phone = cells[p[8]] if p[8] is not None else ""
        employer_code = cells[p[9]] if p[9] is not None else ""
        base_text = cells[p[10]] if p[10] is not None else ""
        errors = self.errors
        before = len(errors)
        if any("\x00" in cell for cell in cells):
            errors.append((row_number, "", "", "该行含有不可见的控制字符（NUL），请检查文件"))
            return None

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

        if id_number:
            expected_gender = "M" if int(id_number[16]) % 2 else "F"
            if gender and GENDERS.get(gender) != expected_gender:
                errors.append((row_number, "性别", gender, "性别与身份证号不符"))
            if birth and birth.replace("-", "").replace("/", "").replace(".", "") != id_number[6:14]:
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
            try:
                employer_code = validate_credit_code(employer_code)
            except InvalidValue as exc:
                errors.append((row_number, "单位信用代码", employer_code[:20], str(exc)))

        if phone and not (len(phone) == 11 and phone.isdigit() and phone[0] == "1" and phone[1] in "3456789"):
            try:
                phone = validate_phone(phone)
            except InvalidValue as exc:
                errors.append((row_number, "联系电话", phone[:20], str(exc)))

        if len(errors) != before:
            return None
        return (
            self.batch_id,
            row_number,
            id_number,
            name,
            expected_gender,
            f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
            district_id,
            scheme,
            category,
            tier,
            phone,
            employer_code,
            base,
            False,
        )
