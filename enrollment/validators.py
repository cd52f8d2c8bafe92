"""Identity numbers (GB 11643), unified social credit codes (GB 32100) and phone numbers.

Pure functions, no database: they run once per imported row, so they stay cheap.
Messages are the Chinese text staff see, next to the field and row.
"""

import datetime as dt
import re
from operator import mul

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# Full-width digits and letters (common in files typed with a Chinese IME) to ASCII.
_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９ＸｘＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＹ",
    "0123456789XXABCDEFGHJKLMNPQRTUWY",
)
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CHARS)}
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")

_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")


class InvalidValue(ValueError):
    """A value staff typed or imported is wrong; the message says why, in Chinese."""


def id_check_char(first17: str) -> str:
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _fold(raw: str) -> str:
    """Drop ASCII and ideographic spaces, upper-case, then fold full-width characters to ASCII."""
    return raw.strip().replace(" ", "").replace("\u3000", "").upper().translate(_FULL_WIDTH)


def normalize_id_number(raw: str) -> str:
    """Strip spaces, fold full-width characters and lower-case x."""
    return _fold(raw)


def validate_id_number(raw: str, *, today: dt.date | None = None) -> str:
    """Return the normalized 18-character number or raise InvalidValue."""
    value = normalize_id_number(raw or "")
    if not value:
        raise InvalidValue("身份证号不能为空")
    if len(value) == 15 and value.isdigit():
        raise InvalidValue("不支持15位旧身份证号，请换算为18位后再登记")
    if len(value) != 18:
        raise InvalidValue(f"身份证号应为18位，实际为{len(value)}位")
    if not _ID_SHAPE.match(value):
        raise InvalidValue("身份证号格式错误：前17位应为数字，末位为数字或X")
    birth = id_birth_date(value)
    if birth is None:
        raise InvalidValue("身份证号中的出生日期无效")
    if birth > (today or dt.date.today()) or birth.year < 1900:
        raise InvalidValue("身份证号中的出生日期不在合理范围内")
    if id_check_char(value[:17]) != value[17]:
        raise InvalidValue("身份证号校验位错误")
    return value


def id_birth_date(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def id_gender(value: str) -> str:
    """'M' or 'F' from the 17th digit (odd is male)."""
    return "M" if int(value[16]) % 2 else "F"


def mask_id_number(value: str) -> str:
    """500103********1234: the district and the last four, nothing that identifies a birthday.

    Malformed input of another length keeps only the area code (its first six characters), so an
    error list can say which district a typo belongs to without showing the number.
    """
    value = value or ""
    if len(value) == 18:
        return f"{value[:6]}{'*' * 8}{value[14:]}"
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 6)


def credit_code_check_char(first17: str) -> str:
    total = sum(map(mul, map(CREDIT_VALUE.__getitem__, first17[:17]), CREDIT_WEIGHTS))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def validate_credit_code(raw: str) -> str:
    value = _fold(raw or "")
    if not value:
        raise InvalidValue("统一社会信用代码不能为空")
    if len(value) != 18:
        raise InvalidValue(f"统一社会信用代码应为18位，实际为{len(value)}位")
    if not _CREDIT_SHAPE.match(value):
        raise InvalidValue("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）")
    if credit_code_check_char(value[:17]) != value[17]:
        raise InvalidValue("统一社会信用代码校验位错误")
    return value


def validate_phone(raw: str) -> str:
    value = _fold(raw or "")
    if value and not _PHONE.match(value):
        raise InvalidValue("联系电话格式错误：应为11位手机号或带区号的固定电话")
    return value
