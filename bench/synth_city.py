"""Synthetic enrollee lists (参保人员名单) for a whole city, as CSV or XLSX, for import benchmarks and tests.

    python bench/synth_city.py /tmp/city.csv --rows 1000000 [--error-rate 0.01] [--seed 1]

Every row is consistent: the 身份证号 is a valid GB 11643 number whose first six digits are the row's 区县代码 and
whose birth date and 17th digit agree with 出生日期 and 性别; minors are always 居民医保 未成年人; only 在职 rows
carry a 单位信用代码; only employees carry a 缴费基数; only residents carry a 档次.

身份证号 are unique without remembering them: row index i goes through the affine bijection
x = (offset + a * (i + 1)) mod (districts x birth days x 1000), and x is read as the mixed-radix number
(district, birth day, sequence slot); a fixed random permutation maps slots to sequence numbers. Distinct indexes
give distinct (district, birth day, sequence) triples, hence distinct IDs, for any number of rows up to that capacity
(1.26e9 with the 38 default districts; 33.2 million per district). Birth days are spread evenly over the 91 years.

The check character comes from enrollment.validators.id_check_char. Calling it on every row would cost ~4 us a row,
so the generator uses the fact that the GB 11643 weighted sum is linear in the digits: id_check_char() of a prefix
padded with zeros gives that prefix's share of the sum (mod 11), and the three shares (district, birth date,
sequence) are tabulated once and added per row. A sample of generated IDs is cross-checked against id_check_char()
when the tables are built.

Error injection (error_rate > 0) picks rows with a separate random stream, so the clean rows of a file are the same
with or without errors. Each bad row gets exactly one of ERROR_KINDS; the reason recorded for a duplicate names the
earlier row, e.g. "duplicate_id:1234". Row numbers count the header as row 1 (first data row is row 2), as a
spreadsheet shows them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # run as a script: make the Django project importable (no django.setup() needed)
    sys.path.insert(0, str(_ROOT))

from enrollment.importing.columns import HEADERS  # noqa: E402
from enrollment.validators import (  # noqa: E402
    ID_CHECK_CHARS,
    credit_code_check_char,
    id_check_char,
)

HEADER = list(HEADERS)  # the columns the import expects, in template order

# GB/T 2260 codes of Chongqing's 38 districts and counties (enrollment/reference/districts.json, gb2260=true).
CHONGQING_DISTRICTS = [
    *(f"5001{n:02d}" for n in range(1, 21)),  # 500101..500120
    *(f"5001{n:02d}" for n in range(51, 57)),  # 500151..500156
    "500229",
    "500230",
    "500231",
    "500233",
    "500235",
    "500236",
    "500237",
    "500238",
    "500240",
    "500241",
    "500242",
    "500243",
]

REFERENCE_DATE = dt.date(2026, 1, 1)  # ages 0..90 are counted on this day
OLDEST_BIRTH = dt.date(REFERENCE_DATE.year - 91, REFERENCE_DATE.month, REFERENCE_DATE.day) + dt.timedelta(days=1)
YOUNGEST_BIRTH = REFERENCE_DATE

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢谭"
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥"
    "才发成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆民友裕河哲江浩亮政谦亨奇固之轮"
)

SCHEME_RESIDENT = "居民医保"
SCHEME_EMPLOYEE = "职工医保"
ERROR_KINDS = (
    "check_digit",  # 身份证号 with a wrong check character
    "id_15",  # old 15-digit 身份证号
    "birth_mismatch",  # 出生日期 one day off the date in the 身份证号
    "unknown_district",  # 区县代码 999999 (the 身份证号 itself stays valid)
    "empty_name",  # 姓名 empty
    "missing_tier",  # 档次 empty on a 居民医保 row (only used on resident rows)
    "duplicate_id",  # 身份证号 (with its 性别/出生日期/区县代码/险种...) copied from an earlier good row
)
UNKNOWN_DISTRICT = "999999"
DETAIL_LIMIT = 100_000  # above this many rows only the number of bad rows is returned

# Distribution knobs (fractions out of 1024 unless stated).
EMPLOYEE_SHARE = 0.30  # overall share of 职工医保; minors are never employees, so adults get more
FLEXIBLE_1024 = 205  # ~20% of working-age employees are 灵活就业, the rest 在职
STUDENT_1024 = 307  # ~30% of resident adults aged 18-24 are 在校大学生
TIER_ONE_1024 = 717  # ~70% of residents choose 一档
PHONE_EMPTY_1024 = 102  # ~10% of rows have no 联系电话
THREE_CHAR_NAME_4 = 3  # 3 in 4 names have two given characters
BASE_MIN_CENTS, BASE_MAX_CENTS = 350_000, 3_000_000
_FLUSH_ROWS = 8192


def _id_share(prefix: str, position: int) -> int:
    """(weighted sum of `prefix` placed at `position` of the 17 digits) mod 11, via id_check_char."""
    first17 = "0" * position + prefix + "0" * (17 - position - len(prefix))
    return ID_CHECK_CHARS.index(id_check_char(first17))


def _affine_multiplier(capacity: int) -> int:
    """A multiplier coprime to `capacity` near capacity / golden ratio: consecutive rows land far apart."""
    a = int(capacity * 0.6180339887498949) | 1
    while _gcd(a, capacity) != 1:
        a += 2
    return a % capacity or 1


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


class _Tables:
    """Everything per district / birth day / sequence number that a row needs, computed once."""

    def __init__(self, districts: list[str], rng: random.Random) -> None:
        self.codes = list(districts)
        self.district_share = [_id_share(code, 0) for code in self.codes]
        ndays = (YOUNGEST_BIRTH - OLDEST_BIRTH).days + 1
        self.date8: list[str] = []
        self.date10: list[str] = []
        self.date_share: list[int] = []
        self.age: list[int] = []
        day = OLDEST_BIRTH
        one = dt.timedelta(days=1)
        ref = (REFERENCE_DATE.month, REFERENCE_DATE.day)
        for _ in range(ndays):
            d8 = f"{day:%Y%m%d}"
            self.date8.append(d8)
            self.date10.append(f"{d8[:4]}-{d8[4:6]}-{d8[6:]}")
            self.date_share.append(_id_share(d8, 6))
            self.age.append(REFERENCE_DATE.year - day.year - (ref < (day.month, day.day)))
            day += one
        self.ndays = ndays
        # Slot s of a (district, day) gets sequence number perm[s]: a bijection, and it scrambles the arithmetic
        # progression that the affine step leaves in the low radix (otherwise 性别 would alternate row by row).
        perm = list(range(1000))
        rng.shuffle(perm)
        self.seq3 = [f"{n:03d}" for n in perm]
        self.gender = ["男" if n % 2 else "女" for n in perm]
        # seq_tail[s][k]: the sequence number and the check character when the district and date shares sum to k.
        self.seq_tail = []
        for s3 in self.seq3:
            share = _id_share(s3, 14)
            self.seq_tail.append([s3 + ID_CHECK_CHARS[(k + share) % 11] for k in range(21)])
        self.capacity = len(self.codes) * ndays * 1000
        self.multiplier = _affine_multiplier(self.capacity)
        self.offset = rng.randrange(self.capacity)
        adults = sum(1 for a in self.age if a >= 18) / ndays
        self.employee_1024 = min(1024, round(1024 * EMPLOYEE_SHARE / adults))
        self._self_check(rng)

    def _self_check(self, rng: random.Random) -> None:
        for _ in range(64):
            d, t, s = rng.randrange(len(self.codes)), rng.randrange(self.ndays), rng.randrange(1000)
            fast = self.codes[d] + self.date8[t] + self.seq_tail[s][self.district_share[d] + self.date_share[t]]
            if fast[17] != id_check_char(fast[:17]):
                raise RuntimeError(f"check character tables disagree with id_check_char for {fast}")


def _check_districts(districts: list[str] | None) -> list[str]:
    if districts is None:
        return list(CHONGQING_DISTRICTS)
    codes = [str(c) for c in districts]
    if not codes:
        raise ValueError("districts must not be empty")
    bad = [c for c in codes if len(c) != 6 or not c.isdigit()]
    if bad:
        raise ValueError(f"district codes must be 6 digits: {bad[:5]}")
    if len(set(codes)) != len(codes):
        raise ValueError("district codes must be distinct (otherwise IDs could repeat)")
    return codes


def make_employer_codes(n: int, seed: int, *, areas: list[str] | None = None) -> list[str]:
    """`n` distinct valid GB 32100 unified social credit codes of enterprises (91) registered in `areas`."""
    rng = random.Random(f"employer-codes-{seed}")
    areas = _check_districts(areas)
    seen: set[str] = set()
    codes: list[str] = []
    while len(codes) < n:
        first17 = "91" + rng.choice(areas) + "".join(rng.choices(CREDIT_CHARSET, k=9))
        code = first17 + credit_code_check_char(first17)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def _name_pool(rng: random.Random) -> list[str]:
    """2**16 names: a surname and one or (3 times in 4) two given characters."""
    pool = []
    for _ in range(1 << 16):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_CHARS)
        if rng.randrange(4) < THREE_CHAR_NAME_4:
            name += rng.choice(GIVEN_CHARS)
        pool.append(name)
    return pool


def iter_enrollee_rows(
    *,
    rows: int,
    seed: int = 1,
    districts: list[str] | None = None,
    employer_codes: list[str] | None = None,
    error_rate: float = 0.0,
    bad_rows: dict[int, str] | None = None,
    bad_kinds: dict[str, int] | None = None,
) -> Iterator[list[str]]:
    """Yield `rows` data rows (lists of 11 strings, in HEADER order), no header.

    Bad rows are recorded into `bad_rows` ({row_number: reason}) as they are made, and counted into `bad_kinds`
    ({kind: n}) once the iterator is exhausted, when those dicts are given.
    """
    if rows < 0:
        raise ValueError("rows must be >= 0")
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError("error_rate must be between 0 and 1")
    codes = _check_districts(districts)
    if employer_codes is None:
        employer_codes = make_employer_codes(500, seed)
    employers = list(employer_codes)
    if not employers:
        raise ValueError("employer_codes must not be empty")

    rng = random.Random(seed)
    tables = _Tables(codes, rng)
    if rows > tables.capacity:
        raise ValueError(f"at most {tables.capacity} unique IDs with {len(codes)} districts, asked for {rows}")

    getrandbits, uniform01 = rng.getrandbits, rng.random
    base_span = BASE_MAX_CENTS - BASE_MIN_CENTS + 1
    capacity, step, x = tables.capacity, tables.multiplier, tables.offset
    ndays = tables.ndays
    district_codes, district_share = tables.codes, tables.district_share
    date8, date10, date_share, ages = tables.date8, tables.date10, tables.date_share, tables.age
    seq3, seq_tail, genders = tables.seq3, tables.seq_tail, tables.gender
    employee_1024 = tables.employee_1024
    n_employers = len(employers)
    names = _name_pool(rng)

    # Error injection state: its own random stream, so clean rows do not depend on error_rate.
    erng = random.Random(f"errors-{seed}")
    erandom = erng.random
    inject = error_rate > 0.0
    earlier: list[tuple[int, list[str]]] = []  # a ring of earlier good rows to duplicate
    ring_size, ring_every, ring_pos = 128, 61, 0
    kinds_count = dict.fromkeys(ERROR_KINDS, 0)

    for i in range(rows):
        x += step
        if x >= capacity:
            x -= capacity
        rest, s = divmod(x, 1000)
        d, t = divmod(rest, ndays)
        code = district_codes[d]
        id_number = code + date8[t] + seq_tail[s][district_share[d] + date_share[t]]
        age = ages[t]

        r = getrandbits(56)
        name = names[r & 0xFFFF]
        sub = (r >> 26) & 0x3FF
        if age >= 18 and (r >> 16) & 0x3FF < employee_1024:
            scheme, tier = SCHEME_EMPLOYEE, ""
            base_cents = BASE_MIN_CENTS + int(uniform01() * base_span)
            base = f"{base_cents // 100}.{base_cents % 100:02d}"
            if age >= 60:
                category, employer = "退休", ""
            elif sub < FLEXIBLE_1024:
                category, employer = "灵活就业", ""
            else:
                category, employer = "在职", employers[int(uniform01() * n_employers)]
        else:
            scheme, employer, base = SCHEME_RESIDENT, "", ""
            tier = "一档" if (r >> 36) & 0x3FF < TIER_ONE_1024 else "二档"
            if age < 18:
                category = "未成年人"
            elif age <= 24 and sub < STUDENT_1024:
                category = "在校大学生"
            else:
                category = "成年居民"

        # '1', then 3-9, then 9 digits: 13000000000 + [0, 7e9)
        phone = "" if r >> 46 < PHONE_EMPTY_1024 else str(13_000_000_000 + int(uniform01() * 7_000_000_000))

        row = [name, id_number, genders[s], date10[t], code, scheme, category, tier, phone, employer, base]

        if inject:
            if erandom() < error_rate:
                kind = ERROR_KINDS[int(erandom() * len(ERROR_KINDS))]
                if kind == "missing_tier" and scheme != SCHEME_RESIDENT:
                    kind = "empty_name"
                if kind == "duplicate_id" and not earlier:
                    kind = "check_digit"
                reason = kind
                if kind == "check_digit":
                    wrong = (ID_CHECK_CHARS.index(id_number[17]) + 1 + int(erandom() * 10)) % 11
                    row[1] = id_number[:17] + ID_CHECK_CHARS[wrong]
                elif kind == "id_15":
                    row[1] = code + date8[t][2:] + seq3[s]
                elif kind == "birth_mismatch":
                    row[3] = date10[t + 1] if t + 1 < ndays else date10[t - 1]
                elif kind == "unknown_district":
                    row[4] = UNKNOWN_DISTRICT
                elif kind == "empty_name":
                    row[0] = ""
                elif kind == "missing_tier":
                    row[7] = ""
                else:  # duplicate_id: keep this row's name and phone, take the ID and everything it implies
                    source_row, source = earlier[int(erandom() * len(earlier))]
                    row = [name, *source[1:8], phone, *source[9:]]
                    reason = f"duplicate_id:{source_row}"
                kinds_count[kind] += 1
                if bad_rows is not None:
                    bad_rows[i + 2] = reason
            elif i % ring_every == 0:
                if len(earlier) < ring_size:
                    earlier.append((i + 2, row[:]))
                else:
                    earlier[ring_pos] = (i + 2, row[:])
                    ring_pos = (ring_pos + 1) % ring_size
        yield row

    if bad_kinds is not None:
        for kind, n in kinds_count.items():
            bad_kinds[kind] = bad_kinds.get(kind, 0) + n


def _report(path: str | os.PathLike, rows: int, bad: dict[int, str] | None, kinds: dict[str, int]) -> dict:
    total_bad = sum(kinds.values())
    return {
        "rows": rows,
        "bad_rows": bad if bad is not None else total_bad,
        "bad_by_kind": {k: n for k, n in kinds.items() if n},
        "bytes": os.path.getsize(path),
    }


def write_enrollee_csv(
    path: str | os.PathLike,
    *,
    rows: int,
    seed: int = 1,
    districts: list[str] | None = None,
    employer_codes: list[str] | None = None,
    error_rate: float = 0.0,
) -> dict:
    """Stream `rows` enrollees to `path` as plain UTF-8 CSV (no BOM, CRLF line ends, header first).

    Returns {"rows", "bad_rows", "bad_by_kind", "bytes"}; bad_rows is {row_number: reason} when rows <= 100000,
    else the number of bad rows.
    """
    bad: dict[int, str] | None = {} if rows <= DETAIL_LIMIT else None
    kinds: dict[str, int] = {}
    generated = iter_enrollee_rows(
        rows=rows,
        seed=seed,
        districts=districts,
        employer_codes=employer_codes,
        error_rate=error_rate,
        bad_rows=bad,
        bad_kinds=kinds,
    )
    # No field can contain a comma, quote or line break, so joining is exact CSV and much faster than csv.writer.
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(HEADER) + "\r\n")
        buffer: list[str] = []
        append, join = buffer.append, ",".join
        for row in generated:
            append(join(row))
            if len(buffer) >= _FLUSH_ROWS:
                buffer.append("")
                f.write("\r\n".join(buffer))
                buffer.clear()
        if buffer:
            buffer.append("")
            f.write("\r\n".join(buffer))
    return _report(path, rows, bad, kinds)


def write_enrollee_xlsx(
    path: str | os.PathLike,
    *,
    rows: int,
    seed: int = 1,
    districts: list[str] | None = None,
    employer_codes: list[str] | None = None,
    error_rate: float = 0.0,
) -> dict:
    """Same rows as write_enrollee_csv, as an .xlsx sheet "参保人员名单" (openpyxl write-only, every cell text)."""
    from openpyxl import Workbook

    bad: dict[int, str] | None = {} if rows <= DETAIL_LIMIT else None
    kinds: dict[str, int] = {}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("参保人员名单")
    sheet.append(HEADER)
    for row in iter_enrollee_rows(
        rows=rows,
        seed=seed,
        districts=districts,
        employer_codes=employer_codes,
        error_rate=error_rate,
        bad_rows=bad,
        bad_kinds=kinds,
    ):
        sheet.append(row)
    workbook.save(path)
    return _report(path, rows, bad, kinds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic 参保人员名单 (CSV; XLSX if the name ends .xlsx).")
    parser.add_argument("path")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    writer = write_enrollee_xlsx if str(args.path).lower().endswith(".xlsx") else write_enrollee_csv
    started = time.perf_counter()
    result = writer(args.path, rows=args.rows, seed=args.seed, error_rate=args.error_rate)
    seconds = time.perf_counter() - started
    bad = result["bad_rows"]
    print(f"rows       {result['rows']}")
    print(f"bytes      {result['bytes']}")
    print(f"seconds    {seconds:.2f}")
    print(f"rows/s     {result['rows'] / seconds if seconds else 0:,.0f}")
    print(f"bad rows   {len(bad) if isinstance(bad, dict) else bad} {result['bad_by_kind'] or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
