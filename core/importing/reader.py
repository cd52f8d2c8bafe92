"""Stream rows out of an uploaded CSV or XLSX file, as lists of strings, in constant memory."""

import codecs
import csv
import datetime as dt
import io
from collections.abc import Generator, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from openpyxl import load_workbook

from ..failures import XLSX_INVALID, StaffError
from .limits import ImportLimits, LimitExceeded, file_limits_check, import_limits


class FileProblem(StaffError, ValueError):
    """The file as a whole cannot be read (encoding, format, header); nothing is imported."""


def _open_workbook(path: Path, **options):
    """openpyxl raises many types for a damaged file, or one that is not a workbook at all."""
    try:
        return load_workbook(path, read_only=True, **options)
    except Exception:  # noqa: BLE001
        raise FileProblem(XLSX_INVALID) from None


def check_readable(path: Path | BinaryIO, original_name: str) -> None:
    """At upload: the file is within the stated limits (limits.py), checked before any parser reads it;
    then an XLSX file must open as a workbook with a sheet (a CSV is read as it comes)."""
    try:
        if isinstance(path, Path):
            with open(path, "rb") as fh:
                file_limits_check(fh, original_name)
        else:
            file_limits_check(path, original_name)
    except LimitExceeded as exc:
        raise FileProblem(str(exc)) from None
    if not original_name.lower().endswith(".xlsx"):
        return
    workbook = _open_workbook(path)
    try:
        if not workbook.worksheets:
            raise FileProblem(XLSX_INVALID)
    finally:
        workbook.close()


def csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030, which Chinese Excel writes by default."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    try:
        # An incremental decoder tolerates a multi-byte character cut at the end of the sample.
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def count_data_rows(path: Path, original_name: str) -> int:
    """A fast estimate of the data rows for the progress bar (lines, less the header)."""
    if original_name.lower().endswith(".xlsx"):
        workbook = _open_workbook(path)
        try:
            return max((workbook.worksheets[0].max_row or 1) - 1, 0)
        finally:
            workbook.close()
    lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel keeps numbers as floats; an 18-digit ID number typed as a number has lost digits.
        if value.is_integer() and abs(value) >= 1e15:
            return f"#NUMERIC:{value:.0f}"
        return format(Decimal(repr(value)), "f")
    if isinstance(value, int):
        return str(value)
    return str(value).strip()


def _over_limits(cells: list[str], row_number: int, limits: ImportLimits) -> str:
    """Why a row breaks the column or cell limit, in words ("" if it does not)."""
    if len(cells) > limits.max_columns and any(cells[limits.max_columns :]):
        width = max(i for i, cell in enumerate(cells) if cell) + 1
        return f"第 {row_number:,} 行有 {width} 列，超过 {limits.max_columns} 列的上限"
    longest = max(map(len, cells), default=0)
    if longest > limits.max_cell_chars:
        limit = limits.max_cell_chars
        return f"第 {row_number:,} 行有一个单元格长 {longest:,} 个字符，超过每个单元格 {limit:,} 个字符的上限"
    return ""


def _limited(rows: Iterator[list[str]], limits: ImportLimits, *, start: int = 1) -> Generator[list[str], None, None]:
    """Enforce the row, column and cell limits exactly while streaming (the upload checked them roughly).
    `start`: the file row number of the first row given (a later chunk of a file starts further down)."""
    for row_number, cells in enumerate(rows, start=start):
        if row_number - 1 > limits.max_rows:
            raise FileProblem(f"文件超过 {limits.max_rows:,} 行数据的上限，请拆分后导入")
        if problem := _over_limits(cells, row_number, limits):
            raise FileProblem(problem)
        yield cells


def iter_rows(path: Path, original_name: str) -> Generator[list[str], None, None]:
    """Yield every row, the header first, as a list of stripped strings, within the stated limits."""
    rows = _raw_rows(path, original_name)
    try:
        yield from _limited(rows, import_limits())
    finally:
        rows.close()


def _raw_rows(path: Path, original_name: str) -> Generator[list[str], None, None]:
    name = original_name.lower()
    if name.endswith(".xlsx"):
        workbook = _open_workbook(path, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # rows as long as their cells, not as the sheet's claimed size
            values_rows = sheet.iter_rows(values_only=True)
            while True:
                try:
                    values = next(values_rows)
                except StopIteration:
                    break
                except Exception:  # noqa: BLE001 - a damaged part, or XML defusedxml refuses (DTD, entities)
                    raise FileProblem(XLSX_INVALID) from None
                yield [_cell_text(v) for v in values]
        finally:
            workbook.close()
        return
    if not name.endswith(".csv"):
        raise FileProblem("只支持 CSV 或 XLSX 文件")
    with open(path, encoding=csv_encoding(path), newline="") as fh:
        yield from csv_cells(fh)


CSV_ENCODING_PROBLEM = "文件编码无法识别，请另存为 UTF-8 或 GB18030 编码的 CSV"
CSV_FORMAT_PROBLEM = "CSV 格式错误（引号不配对、单元格过长或含有无法识别的字符），请用 Excel 另存为 CSV 后重试"


def csv_cells(lines: Iterable[str]) -> Generator[list[str], None, None]:
    """The rows of CSV text lines (a file opened with newline="", or part of one) as stripped cells."""
    try:
        for row in csv.reader(lines):
            yield [cell.strip() for cell in row]
    except UnicodeDecodeError:
        raise FileProblem(CSV_ENCODING_PROBLEM) from None
    except csv.Error:
        raise FileProblem(CSV_FORMAT_PROBLEM) from None


def limited_rows(rows: Iterable[list[str]], limits: ImportLimits, *, start: int) -> Iterator[list[str]]:
    """`rows` (file row `start` first) within the row, column and cell limits, as `iter_rows` checks them."""
    return _limited(iter(rows), limits, start=start)


def header_index(header: list[str], known: dict[str, str], required: tuple[str, ...]) -> dict[str, int]:
    """Map field name -> column position; missing required columns are a file problem."""
    positions = {}
    for i, title in enumerate(header):
        title = title.strip().lstrip("\ufeff")
        if title in known:
            positions[known[title]] = i
    missing = [title for title in required if known[title] not in positions]
    if missing:
        raise FileProblem(f"缺少必需的列：{'、'.join(missing)}")
    return positions


def sample_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
