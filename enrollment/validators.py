"""Identity numbers (GB 11643), unified social credit codes (GB 32100), phone numbers and people's names.

Pure functions, no database: they run once per imported row, so they stay cheap.
Messages are the Chinese text staff see, next to the field and row.
"""

import datetime as dt
import re
from operator import mul

from django.core.exceptions import ValidationError

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


# A person's name: Chinese characters (every CJK block, the extensions included, for rare characters in
# names) and Latin letters (with accents, for foreign names); words may be joined by the middle dot of
# minority and foreign names (阿依古丽·买买提), a space, a hyphen or an apostrophe (Mary-Jane O'Neil).
_IDEOGRAPHS = (
    "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002f800-\U0002fa1f\U00030000-\U000323af"
)
_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_NAME_WORD = f"[{_IDEOGRAPHS}{_LETTERS}]+"
_NAME = re.compile(f"^{_NAME_WORD}(?:(?:\u00b7| |-|')?{_NAME_WORD})*$")
_NAME_CHAR = re.compile(f"[{_IDEOGRAPHS}{_LETTERS}\u00b7 \\-']")
# Middle dots typed by other input methods, curly apostrophes and the ideographic space, as stored.
_NAME_FOLD = str.maketrans({"\u30fb": "\u00b7", "\u2027": "\u00b7", "\u2022": "\u00b7", "\uff0e": "\u00b7",
                            "\u2019": "'", "\u3000": " "})  # fmt: skip
_SPACES = re.compile(r" {2,}")
NAME_MAX_CHARS = 50
NAME_RULE = "姓名只能使用汉字或英文字母；少数民族和外国人名可用间隔号（·）、空格、连字符或撇号分隔"


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


def _shown(char: str) -> str:
    return f"字符“{char}”" if char.isprintable() and not char.isspace() else f"控制字符 U+{ord(char):04X}"


def validate_person_name(raw: str, *, label: str = "姓名") -> str:
    """Return the name as stored (trimmed, middle dots and spaces folded) or raise InvalidValue.

    The same rule at import (a row error), in the forms and in the API: a name never starts a formula
    (= + - @), never carries digits, markup or control characters."""
    value = _SPACES.sub(" ", (raw or "").translate(_NAME_FOLD).strip())
    if not value:
        raise InvalidValue(f"{label}不能为空")
    if len(value) > NAME_MAX_CHARS:
        raise InvalidValue(f"{label}不能超过{NAME_MAX_CHARS}个字符（实际{len(value)}个）")
    if _NAME.match(value):
        return value
    bad = next((char for char in value if not _NAME_CHAR.match(char)), None)
    if bad is not None:
        raise InvalidValue(f"{label}含有不允许的{_shown(bad)}：{NAME_RULE.removeprefix('姓名')}")
    raise InvalidValue(f"{label}格式错误：间隔号、空格、连字符或撇号只能用在两个字之间")


def person_name_as_stored(value: str) -> bool:
    """Whether `value` is a valid name already in its stored form (validate_person_name would return it
    unchanged): the cheap test an import makes first, once per row. A name matching _NAME holds none of
    the characters _NAME_FOLD replaces and no run of spaces, and starts and ends with a letter."""
    return len(value) <= NAME_MAX_CHARS and _NAME.match(value) is not None


def person_name_validator(value: str) -> None:
    """validate_person_name for a Django form or DRF field (`validators=[person_name_validator]`)."""
    try:
        validate_person_name(value)
    except InvalidValue as exc:
        raise ValidationError(str(exc), code="invalid_name") from None
