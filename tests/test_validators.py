"""Pure-function tests for enrollment.validators (GB 11643 IDs, GB 32100 credit codes, phones)."""

import datetime as dt
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from enrollment.validators import (
    CREDIT_CHARS,
    InvalidValue,
    credit_code_check_char,
    id_birth_date,
    id_check_char,
    id_gender,
    mask_id_number,
    normalize_id_number,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)

TODAY = dt.date(2026, 1, 15)
KNOWN_ID = "11010519491231002X"
REAL_CREDIT_CODES = ["91330100716105852F", "914403001922038216", "9144030071526726XG", "91350100M000100Y43"]
ID_CHARS = "0123456789X"
FORBIDDEN_CREDIT_CHARS = "IOZSV"


def build_id(area: str, birth: dt.date, sequence: int) -> str:
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    assert len(first17) == 17
    return first17 + id_check_char(first17)


def raises_with(fragment: str):
    return pytest.raises(InvalidValue, match=re.escape(fragment))


# --- strategies ------------------------------------------------------------------------------------------------------

areas = st.one_of(st.just("500103"), st.from_regex(r"\A[1-9][0-9]{5}\Z", fullmatch=True))
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def valid_ids(draw) -> str:
    return build_id(draw(areas), draw(birth_dates), draw(sequences))


@st.composite
def valid_credit_codes(draw) -> str:
    credit_char = st.sampled_from(CREDIT_CHARS)
    head = "".join(draw(st.lists(credit_char, min_size=2, max_size=2)))
    area = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6)))
    org = "".join(draw(st.lists(credit_char, min_size=9, max_size=9)))
    first17 = head + area + org
    return first17 + credit_code_check_char(first17)


# --- identity numbers: valid values ----------------------------------------------------------------------------------


def test_known_good_id_validates_unchanged():
    assert validate_id_number(KNOWN_ID) == KNOWN_ID


def test_check_char_of_known_id():
    assert id_check_char(KNOWN_ID[:17]) == "X"


def test_built_id_for_500103_validates():
    value = build_id("500103", dt.date(1985, 7, 9), 123)
    assert value.startswith("50010319850709123")
    assert validate_id_number(value, today=TODAY) == value


def test_leap_day_birth_date_is_valid():
    value = build_id("500103", dt.date(2000, 2, 29), 1)
    assert validate_id_number(value, today=TODAY) == value
    assert id_birth_date(value) == dt.date(2000, 2, 29)


def test_birth_date_equal_to_today_is_accepted():
    value = build_id("500103", TODAY, 7)
    assert validate_id_number(value, today=TODAY) == value


@given(valid_ids())
def test_generated_ids_validate_and_round_trip(value):
    assert validate_id_number(value, today=TODAY) == value


@given(valid_ids())
def test_generated_ids_lower_case_and_spaces_normalize(value):
    messy = "  " + " ".join([value[:6], value[6:14], value[14:].lower()]) + " "
    assert validate_id_number(messy, today=TODAY) == value


@given(valid_ids(), st.integers(min_value=0, max_value=17), st.sampled_from(ID_CHARS))
def test_any_single_character_change_is_rejected(value, position, replacement):
    assume(value[position] != replacement)
    mutated = value[:position] + replacement + value[position + 1 :]
    assert len(mutated) == 18
    with pytest.raises(InvalidValue):
        validate_id_number(mutated, today=TODAY)


def test_every_single_character_change_of_known_id_is_rejected():
    for position in range(18):
        for replacement in ID_CHARS:
            if KNOWN_ID[position] == replacement:
                continue
            mutated = KNOWN_ID[:position] + replacement + KNOWN_ID[position + 1 :]
            with pytest.raises(InvalidValue):
                validate_id_number(mutated, today=TODAY)


def _iso7064_mod11_2_ok(value: str) -> bool:
    """Independent oracle: sum of a_i * 2^(18-i) mod 11 over all 18 characters (X = 10) equals 1."""
    digits = [10 if c == "X" else int(c) for c in value]
    return sum(d * pow(2, 17 - i, 11) for i, d in enumerate(digits)) % 11 == 1


@given(valid_ids())
def test_check_char_satisfies_iso7064_independently(value):
    assert _iso7064_mod11_2_ok(value)


@pytest.mark.parametrize("expected", list("0123456789X"))
def test_every_check_char_value_is_reachable_and_valid(expected):
    for sequence in range(1000):
        value = build_id("500103", dt.date(1990, 1, 1), sequence)
        if value[17] == expected:
            break
    else:
        pytest.fail(f"no sequence gives check char {expected}")
    assert _iso7064_mod11_2_ok(value)
    assert validate_id_number(value, today=TODAY) == value


# --- identity numbers: normalization ---------------------------------------------------------------------------------


def test_lower_case_x_normalizes():
    assert validate_id_number("11010519491231002x") == KNOWN_ID


def test_full_width_digits_and_x_normalize():
    assert validate_id_number("１１０１０５１９４９１２３１００２ｘ") == KNOWN_ID
    assert validate_id_number("１１０１０５１９４９１２３１００２Ｘ") == KNOWN_ID


def test_spaces_are_stripped():
    assert validate_id_number("  110105 19491231 002X  ") == KNOWN_ID
    assert validate_id_number("\t11010519491231002x\n") == KNOWN_ID


def test_normalize_id_number_directly():
    assert normalize_id_number(" １１０１０５ 19491231 ００２ｘ ") == KNOWN_ID


# --- identity numbers: errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_id_rejected(raw):
    with raises_with("身份证号不能为空"):
        validate_id_number(raw)


def test_legacy_15_digit_number_rejected():
    with pytest.raises(InvalidValue, match="15位") as info:
        validate_id_number("110105491231002")
    assert "不支持15位旧身份证号" in str(info.value)


def test_legacy_15_digit_full_width_rejected():
    with raises_with("不支持15位旧身份证号"):
        validate_id_number("１１０１０５４９１２３１００２")


@pytest.mark.parametrize(
    ("raw", "length"),
    [("1101051949123100", 16), ("11010519491231002", 17), ("11010519491231002X1", 19), ("1", 1)],
)
def test_wrong_length_rejected(raw, length):
    with raises_with(f"身份证号应为18位，实际为{length}位"):
        validate_id_number(raw)


@pytest.mark.parametrize(
    "raw",
    ["1101051949123100XX", "A1010519491231002X", "110105194912310A2X", "11010519491231002Y", "110105-9491231002X"],
)
def test_letters_or_symbols_rejected(raw):
    with raises_with("身份证号格式错误：前17位应为数字，末位为数字或X"):
        validate_id_number(raw)


@pytest.mark.parametrize(
    "first17",
    [
        "50010319851301123",  # month 13
        "50010319850001123",  # month 00
        "50010319850230123",  # 30 February
        "50010319010229123",  # 29 February, not a leap year
        "50010319850431123",  # 31 April
        "50010319850100123",  # day 00
        "50010300000101123",  # year 0
    ],
)
def test_impossible_birth_date_rejected(first17):
    value = first17 + id_check_char(first17)  # correct check digit, so only the date is wrong
    with raises_with("身份证号中的出生日期无效"):
        validate_id_number(value, today=TODAY)


def test_future_birth_date_rejected():
    value = build_id("500103", TODAY + dt.timedelta(days=1), 1)
    with raises_with("身份证号中的出生日期不在合理范围内"):
        validate_id_number(value, today=TODAY)


def test_today_parameter_is_honoured():
    value = build_id("500103", dt.date(2020, 6, 1), 1)
    assert validate_id_number(value, today=dt.date(2020, 6, 1)) == value
    with raises_with("出生日期不在合理范围内"):
        validate_id_number(value, today=dt.date(2020, 5, 31))


def test_birth_year_before_1900_rejected():
    value = build_id("500103", dt.date(1899, 12, 31), 1)
    with raises_with("身份证号中的出生日期不在合理范围内"):
        validate_id_number(value, today=TODAY)


def test_wrong_check_digit_rejected():
    with raises_with("身份证号校验位错误"):
        validate_id_number("110105194912310021")


@given(valid_ids(), st.sampled_from(ID_CHARS))
def test_any_wrong_check_digit_rejected_with_message(value, replacement):
    assume(value[17] != replacement)
    with raises_with("身份证号校验位错误"):
        validate_id_number(value[:17] + replacement, today=TODAY)


# --- identity numbers: helpers ---------------------------------------------------------------------------------------


def test_mask_known_values():
    assert mask_id_number("500103198507091234") == "500103********1234"
    assert mask_id_number(KNOWN_ID) == "110105********002X"


@given(valid_ids())
def test_mask_keeps_first_six_and_last_four(value):
    masked = mask_id_number(value)
    assert masked == value[:6] + "*" * 8 + value[14:]
    assert len(masked) == 18
    assert value[6:14] not in masked


@pytest.mark.parametrize("value", ["", "1234", "123456789"])
def test_mask_short_values_hides_everything(value):
    assert mask_id_number(value) == "*" * len(value)


@pytest.mark.parametrize("value", ["110105491231002", "11010519491231002", "110105194912310021X"])
def test_mask_other_lengths_keeps_only_the_area_code(value):
    assert mask_id_number(value) == value[:6] + "*" * (len(value) - 6)


def test_gender_of_known_id():
    assert id_gender(KNOWN_ID) == "F"  # 17th digit is 2


@pytest.mark.parametrize(("digit", "gender"), [(str(d), "M" if d % 2 else "F") for d in range(10)])
def test_gender_from_seventeenth_digit(digit, gender):
    value = build_id("500103", dt.date(1990, 1, 1), int("12" + digit))
    assert value[16] == digit
    assert id_gender(value) == gender


def test_birth_date_helper():
    assert id_birth_date(KNOWN_ID) == dt.date(1949, 12, 31)
    assert id_birth_date("500103198513011234") is None


@given(areas, birth_dates, sequences)
def test_birth_date_and_gender_round_trip(area, birth, sequence):
    value = build_id(area, birth, sequence)
    assert id_birth_date(value) == birth
    assert id_gender(value) == ("M" if sequence % 2 else "F")


# --- unified social credit codes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_validate(code):
    assert validate_credit_code(code) == code
    assert credit_code_check_char(code[:17]) == code[17]


def _credit_weighted_sum(code: str) -> int:
    """Independent oracle: weights are 3^(i) mod 31; with the check char (weight 1) the sum is 0 mod 31."""
    head = sum(CREDIT_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return head + CREDIT_CHARS.index(code[17])


@given(valid_credit_codes())
def test_credit_check_char_satisfies_mod31_independently(code):
    assert _credit_weighted_sum(code) % 31 == 0


@pytest.mark.parametrize("expected", list(CREDIT_CHARS))
def test_every_credit_check_char_value_is_reachable_and_valid(expected):
    for last_body_char in CREDIT_CHARS:
        first17 = "9150010020280456" + last_body_char
        if credit_code_check_char(first17) == expected:
            break
    else:
        pytest.fail(f"no code gives check char {expected}")
    code = first17 + expected
    assert _credit_weighted_sum(code) % 31 == 0
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_code_lower_case_and_spaces_normalize(code):
    assert validate_credit_code(" " + code[:9].lower() + " " + code[9:].lower() + " ") == code


def test_full_width_credit_code_normalizes():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "9144030071526726XG")
    assert validate_credit_code(full_width) == "9144030071526726XG"


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_code_every_other_last_char_rejected(code):
    for replacement in CREDIT_CHARS:
        if replacement == code[17]:
            continue
        with raises_with("统一社会信用代码校验位错误"):
            validate_credit_code(code[:17] + replacement)


@given(valid_credit_codes(), st.sampled_from(CREDIT_CHARS))
def test_changing_last_credit_char_rejected(code, replacement):
    assert validate_credit_code(code) == code
    assume(code[17] != replacement)
    with raises_with("统一社会信用代码校验位错误"):
        validate_credit_code(code[:17] + replacement)


@given(valid_credit_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(CREDIT_CHARS))
def test_changing_any_credit_char_rejected(code, position, replacement):
    assume(code[position] != replacement)
    with pytest.raises(InvalidValue):
        validate_credit_code(code[:position] + replacement + code[position + 1 :])


@given(valid_credit_codes())
def test_generated_credit_codes_lower_case_normalize(code):
    assert validate_credit_code(code.lower()) == code


@pytest.mark.parametrize("forbidden", FORBIDDEN_CREDIT_CHARS)
@pytest.mark.parametrize("position", [0, 1, 8, 12, 16, 17])
def test_credit_code_with_forbidden_letter_rejected(forbidden, position):
    code = "91330100716105852F"
    mutated = code[:position] + forbidden + code[position + 1 :]
    with raises_with("统一社会信用代码含有不允许的字符"):
        validate_credit_code(mutated)
    with raises_with("统一社会信用代码含有不允许的字符"):
        validate_credit_code(mutated.lower())


@given(valid_credit_codes(), st.sampled_from(FORBIDDEN_CREDIT_CHARS), st.integers(min_value=0, max_value=17))
def test_generated_credit_code_with_forbidden_letter_rejected(code, forbidden, position):
    with raises_with("统一社会信用代码含有不允许的字符"):
        validate_credit_code(code[:position] + forbidden + code[position + 1 :])


def test_credit_code_letter_in_area_digits_rejected():
    with raises_with("统一社会信用代码含有不允许的字符"):
        validate_credit_code("9133A100716105852F")


@pytest.mark.parametrize(
    ("raw", "length"), [("91330100716105852", 17), ("91330100716105852FF", 19), ("9", 1), ("913301007161058", 15)]
)
def test_credit_code_wrong_length_rejected(raw, length):
    with raises_with(f"统一社会信用代码应为18位，实际为{length}位"):
        validate_credit_code(raw)


@pytest.mark.parametrize("raw", ["", "  ", None])
def test_empty_credit_code_rejected(raw):
    with raises_with("统一社会信用代码不能为空"):
        validate_credit_code(raw)


# --- phone numbers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("023-63891234", "023-63891234"),
        ("02363891234", "02363891234"),
        ("0755-1234567", "0755-1234567"),
        (" 138 0013 8000 ", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("", ""),
        (None, ""),
    ],
)
def test_valid_phone_accepted(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "1380013800a",
        "12800138000",
        "1380013800",
        "138001380001",
        "23-63891234",
        "023-638912",
        "+8613800138000",
    ],
)
def test_invalid_phone_rejected(raw):
    with raises_with("联系电话格式错误"):
        validate_phone(raw)


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_generated_mobile_numbers_accepted(second, rest):
    number = "1" + second + rest
    assert validate_phone(number) == number
