"""The enrollee import's fast paths give exactly what the full checks give (issue 14, point 3).

A big file's rows are read and checked through shortcuts: a quote-free chunk without whitespace at a
cell's edge is split at line ends and commas (core.importing.chunks._plain_rows), an ID number's check
character is computed by reading its 17 digits as a base-13 number, a name already in its stored form
skips the validator. Each is compared here with the path it short-cuts, over generated input.
"""

import datetime as dt
import io
from operator import mul

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.importing import chunks
from core.importing.chunks import Chunk, chunk_rows
from core.importing.limits import ImportLimits
from core.importing.reader import FileProblem, csv_cells, limited_rows
from enrollment.importing.rows import EnrolleeRowChecker, repeat_key, repeat_key_id_number
from enrollment.validators import (
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    InvalidValue,
    person_name_as_stored,
    validate_id_number,
    validate_person_name,
)

LIMITS = ImportLimits(
    max_bytes=1 << 20, max_uncompressed_bytes=1 << 20, max_ratio=100, max_shared_strings_bytes=1 << 20,
    max_rows=12, max_columns=4, max_cell_chars=6,
)  # fmt: skip
TODAY = dt.date(2026, 11, 28)


def _reference_rows(text: str, start: int) -> list:
    """The rows as the one-process reader reads them (reader.csv_cells, reader.limited_rows), or its problem."""
    try:
        rows = limited_rows(csv_cells(io.StringIO(text, newline="")), LIMITS, start=start)
        return [(n, cells) for n, cells in enumerate(rows, start=start) if n > 1 and any(cells)]
    except FileProblem as exc:
        return [str(exc)]


def _chunk_rows(text: str, start: int) -> list:
    try:
        return list(chunk_rows(Chunk(text.encode(), start, "utf-8", LIMITS)))
    except FileProblem as exc:
        return [str(exc)]


# Cells of letters, commas, line ends of every kind, spaces of several kinds (ASCII, tab, ideographic, a
# vertical tab, which str.splitlines would also split at), long cells and wide rows.
_TEXT = st.text(alphabet=st.sampled_from("ab张,,,\n\n\r  \t\u3000\x0b"), max_size=120)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=_TEXT, start=st.sampled_from([1, 2, 9]))
@example(text="a,b\nab,张 \n", start=1)  # a space at a cell's end: stripped
@example(text="a,b\n张 三,x\n", start=1)  # a space inside a cell: kept, and the chunk is still read plainly
@example(text="a,b\n1234567,x\n", start=1)  # a cell over the 6-character limit
@example(text="a,b,c,d,e\n", start=2)  # five columns, over the limit of four
@example(text="a\n" * 14, start=1)  # over twelve data rows
@example(text="a\rb\r\nc\n", start=1)  # old Mac, Windows and Unix line ends in one chunk
def test_a_chunk_is_read_as_the_one_process_reader_reads_it(text, start):
    assert _chunk_rows(text, start) == _reference_rows(text, start)


def test_the_plain_read_is_taken_only_where_no_cell_needs_stripping():
    def plain(text, limits):
        return chunks._plain_rows(text, limits) is not None

    assert plain("张三,5\n李四,6\r\n", LIMITS)
    assert plain("张 三,x\n", LIMITS)  # a space inside a name
    assert not plain("张三 ,x\n", LIMITS) and not plain("x,\u3000李四\n", LIMITS) and not plain(" x\n", LIMITS)
    assert not plain("x\r y\n", LIMITS)  # after a lone \r, a line (and its first cell) starts
    # A line longer than a cell may be, even one csv would cut (at \r) or str.splitlines would (at \v).
    assert not plain("1234567\n", LIMITS) and not plain("abc\rdef\n", LIMITS) and not plain("aaaaa\x0ba", LIMITS)


def _weighted_check_char(first17: str) -> str:
    """GB 11643-1999 as the standard writes it: the sum of each digit times its weight, modulo 11."""
    return ID_CHECK_CHARS[sum(map(mul, map(int, first17), ID_WEIGHTS)) % 11]


def _checker() -> EnrolleeRowChecker:
    return EnrolleeRowChecker(
        batch_id=1, district_ids={}, allowed_district_ids=None, positions={"name": 0}, today=TODAY
    )


@settings(max_examples=500, deadline=None)
@given(
    digits=st.text(alphabet="0123456789", min_size=17, max_size=17),
    birth=st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2030, 12, 31)),
    last=st.sampled_from("0123456789Xx"),
)
def test_the_fast_id_number_check_agrees_with_the_standard(digits, birth, last):
    """GB 11643: "校验码 ... 按 ISO 7064:1983.MOD 11-2 计算". Half the numbers get a real birth date."""
    first17 = digits[:6] + birth.strftime("%Y%m%d") + digits[14:] if int(digits[0]) % 2 else digits
    raw = first17 + last
    try:
        expected = validate_id_number(raw, today=TODAY)
    except InvalidValue as exc:
        expected = str(exc)
    checker = _checker()
    for _ in range(2):  # the second time through the cache of birth dates
        try:
            got = checker._id_number(raw)
        except InvalidValue as exc:
            got = str(exc)
        assert got == expected
    assert (got == raw.upper()) == (_weighted_check_char(first17) == raw[17].upper() and expected == raw.upper())
    # The duplicate-in-file key of a checked number gives the number back (the repeat query looks it up).
    if got == raw.upper():
        assert repeat_key_id_number(repeat_key(got)) == got and 0 <= repeat_key(got) < 2**63


_NAME_TEXT = st.text(alphabet=st.sampled_from("张三aÉ·・‧•．’'- \u3000\t1<"), max_size=12)


@settings(max_examples=500, deadline=None)
@given(name=_NAME_TEXT | st.just("阿依古丽·买买提") | st.just("张" * 51))
def test_a_name_taken_as_stored_is_what_the_validator_stores(name):
    try:
        stored = validate_person_name(name)
    except InvalidValue:
        stored = None
    if person_name_as_stored(name):
        assert stored == name
    else:  # refused, or changed by the validator (folded, trimmed, spaces joined): it must run
        assert stored != name


def test_a_column_the_file_lacks_reads_empty_even_in_a_row_wider_than_the_header():
    """A file without 联系电话 and 缴费基数: a row with a stray cell past the header's last column is checked
    as if those columns were empty, not as if the stray cell were one of them."""
    positions = {"name": 0, "id_number": 1, "district_code": 2, "scheme": 3, "category": 4, "tier": 5}
    checker = EnrolleeRowChecker(
        batch_id=1, district_ids={"500103": 7}, allowed_district_ids=None, positions=positions, today=TODAY
    )
    id_number = "11010519491231002X"
    staged = checker.check(2, ["张三", id_number, "500103", "居民医保", "成年居民", "一档", "13800000000"])
    assert checker.errors == []
    assert staged == (
        1, 2, id_number, "张三", "F", "1949-12-31", 7, "resident", "adult", 1, "", "", None, False
    )  # fmt: skip
    assert checker.check(3, ["李四", id_number, "500103", "居民医保", "成年居民"]) is None  # no 档次: refused
    assert checker.errors == [(3, "档次", "", "居民医保须填写档次（一档或二档）")]
