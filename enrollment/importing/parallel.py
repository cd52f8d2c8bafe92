"""The enrollee-list row checks of one chunk of a big CSV file, in a worker process (core.importing.chunks).

A worker reads its chunk's rows, checks each exactly as the one-process path does (EnrolleeRowChecker),
and sends back the rows to stage, the row errors and the number of rows read. Rows to stage travel as
COPY text when the main process streams a COPY (one bytes object: nothing to pickle per row), else as
the staging tuples.
"""

import datetime as dt
from array import array
from dataclasses import dataclass, field
from decimal import Decimal

from core.importing.chunks import Chunk, chunk_rows
from core.importing.reader import FileProblem

from .rows import EnrolleeRowChecker, RowError


@dataclass(frozen=True)
class CheckContext:
    batch_id: int
    district_ids: dict[str, int]
    allowed_district_ids: set[int] | None
    positions: dict[str, int]
    today: dt.date
    as_copy_text: bool


@dataclass
class ChunkResult:
    count: int = 0
    copy_text: bytes = b""
    rows: list[tuple] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    problem: str = ""
    keys: bytes = b""  # the staged rows' repeat keys (rows.repeat_key), as array('q') bytes


def keys_of(data: bytes) -> array:
    keys = array("q")
    keys.frombytes(data)
    return keys


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: object) -> str:
    """One value in COPY's text format (NULL as \\N, booleans as t/f)."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, Decimal | int):
        return str(value)
    return str(value)


def copy_line(row: tuple) -> str:
    return "\t".join(map(_copy_value, row)) + "\n"


def copy_text(rows: list[tuple]) -> bytes:
    """Staging tuples (columns.STAGING_COLUMNS; tier and contribution_base the only NULLs) as COPY text.
    The fast way formats the values as they are; if the result has a character COPY must escape (seen
    by counting separators and backslashes, at C speed), every row is formatted escaping each value."""
    null = "\\N"
    text = "".join(
        [
            f"{b}\t{r}\t{i}\t{n}\t{g}\t{bd}\t{d}\t{s}\t{c}\t{null if t is None else t}\t{ph}\t{e}\t"
            f"{null if base is None else base}\t{'t' if rej else 'f'}\n"
            for b, r, i, n, g, bd, d, s, c, t, ph, e, base, rej in rows
        ]
    )
    columns = len(rows[0]) if rows else 0
    nulls = sum(1 for row in rows if row[9] is None) + sum(1 for row in rows if row[12] is None)
    if (
        text.count("\t") != (columns - 1) * len(rows)
        or text.count("\n") != len(rows)
        or text.count("\\") != nulls
        or "\r" in text
    ):
        text = "".join(map(copy_line, rows))
    return text.encode()


def check_chunk(chunk: Chunk, context: CheckContext) -> ChunkResult:
    """Check every row of `chunk`; a file problem stops at once (the caller stops the whole file there)."""
    checker = EnrolleeRowChecker(
        batch_id=context.batch_id,
        district_ids=context.district_ids,
        allowed_district_ids=context.allowed_district_ids,
        positions=context.positions,
        today=context.today,
    )
    checker.nul_possible = b"\x00" in chunk.data
    result = ChunkResult(errors=checker.errors)
    good = []
    try:
        for row_number, cells in chunk_rows(chunk):
            result.count += 1
            row = checker.check(row_number, cells)
            if row is not None:
                good.append(row)
    except FileProblem as exc:
        result.problem = str(exc)
        return result
    result.keys = checker.keys.tobytes()
    if context.as_copy_text:
        result.copy_text = copy_text(good)
    else:
        result.rows = good
    return result
