"""The stated limits of an uploaded import file, checked before any parser sees it.

Every import (enrollee list, payments, aid recipients) is uploaded through
`core.importing.batches.batch_store_and_queue`, which calls `reader.check_readable`, which calls
`file_limits_check` first: a file over a limit is refused on the upload form (or the API) with the
limit and the actual figure in words, and nothing is stored. The checks read the file in 1 MB chunks
with C-speed byte searches, so a hostile file costs seconds and a few MB, never the parser's memory:

* the file's size;
* XLSX: it must be a zip (a CSV renamed .xlsx is refused); from the zip's central directory, without
  extracting: the members' total uncompressed size, each large member's compression ratio (a zip bomb
  inflates hundreds of times) and the shared-strings part's size (openpyxl holds it in memory); then,
  inflating the XML parts (their declared sizes cap what is inflated): no DTD or entity declaration
  (billion laughs), the number of rows, and no run of text longer than a cell may be;
* CSV: the number of lines, the longest line, and the header's number of columns.

The rows, columns and cell lengths are enforced again, exactly, as `reader.iter_rows` streams the rows.
Each limit is a setting (config/settings/base.py, from the environment), defaults below.
"""

import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

from ..failures import XLSX_INVALID, StaffError

MB = 1024 * 1024
CHUNK = 1 << 20

# The defaults, and why (a city's lists, not a toy's):
DEFAULTS = {
    # A 2-million-row enrollee CSV is about 250 MB; a full XLSX sheet (1,048,576 rows) about 60 MB.
    "YIBAO_IMPORT_MAX_BYTES": 512 * MB,
    # openpyxl's write-only sheet XML is about 600 bytes a row: a full 1,048,576-row sheet is 630 MB.
    "YIBAO_IMPORT_MAX_UNCOMPRESSED_BYTES": 800 * MB,
    # Real sheets deflate 5-20x (IDs and names do not repeat); a zip bomb hundreds or thousands of times.
    "YIBAO_IMPORT_MAX_RATIO": 100,
    # The shared strings are held in memory while a sheet is read: 2 million names and ID numbers
    # saved by Excel are about 70 MB of XML.
    "YIBAO_IMPORT_MAX_SHARED_STRINGS_BYTES": 128 * MB,
    # A city's enrollee list has 1-2 million people; bigger lists are split by district.
    "YIBAO_IMPORT_MAX_ROWS": 2_000_000,
    # The widest import has 11 columns; the rest is room for staff's own note columns.
    "YIBAO_IMPORT_MAX_COLUMNS": 50,
    # No imported field is longer than 200 characters (an employer's name); a cell over 1,000 is not data.
    "YIBAO_IMPORT_MAX_CELL_CHARS": 1000,
}
RATIO_FROM_BYTES = 1 * MB  # small parts (styles, theme) may deflate well and cost nothing
UTF8_MAX = 4  # bytes per character at most, so a text run of more bytes than chars x 4 is over the limit


class LimitExceeded(StaffError, ValueError):
    """A file over one of the stated import limits; the message names the limit and the actual figure."""


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    max_uncompressed_bytes: int
    max_ratio: int
    max_shared_strings_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int

    @property
    def max_line_bytes(self) -> int:
        """The longest CSV line a file within the column and cell limits can have."""
        return self.max_columns * (self.max_cell_chars * UTF8_MAX + 3)


def import_limits() -> ImportLimits:
    """The limits in force (settings, else the defaults above)."""
    value = {name: int(getattr(settings, name, default)) for name, default in DEFAULTS.items()}
    return ImportLimits(*(value[name] for name in DEFAULTS))


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB"


def _size(fileobj: BinaryIO) -> int:
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
    fileobj.seek(0)
    return size


def file_limits_check(fileobj: BinaryIO, original_name: str, *, limits: ImportLimits | None = None) -> None:
    """Raise LimitExceeded for a file over a stated limit; reads the file (not its parser) and rewinds it."""
    limits = limits or import_limits()
    size = _size(fileobj)
    if size > limits.max_bytes:
        raise LimitExceeded(f"文件大小为 {_mb(size)}，超过上限 {_mb(limits.max_bytes)}，请拆分后导入")
    try:
        if original_name.lower().endswith(".xlsx"):
            _xlsx_check(fileobj, limits)
        else:
            _csv_check(fileobj, limits)
    finally:
        fileobj.seek(0)


def _csv_check(fileobj: BinaryIO, limits: ImportLimits) -> None:
    head = fileobj.read(4)
    if head.startswith(b"PK\x03\x04"):
        raise LimitExceeded("文件扩展名为 .csv，但内容是 Excel 工作簿：请将扩展名改为 .xlsx，或另存为 CSV 后重试")
    fileobj.seek(0)
    lines = run = 0
    header_width = None
    first = b""
    while chunk := fileobj.read(CHUNK):
        newline = chunk.find(b"\n")
        if header_width is None:
            first += chunk if newline < 0 else chunk[:newline]
            if newline >= 0 or len(first) > limits.max_line_bytes:
                header_width = first.count(b",") + 1
        # The line running on from the previous chunk, then any whole line inside this one.
        run += len(chunk) if newline < 0 else newline
        # The lines after the first line end, split at C speed (a regex for "a run of N non-newlines" took
        # 0.8 s over a 30 MB file: it tries the run again from every byte of every line).
        over = run > limits.max_line_bytes or (
            newline >= 0 and max(map(len, chunk[newline + 1 :].split(b"\n"))) > limits.max_line_bytes
        )
        if over:
            raise LimitExceeded(
                f"第 {lines + 1} 行附近有一行超过 {limits.max_line_bytes:,} 字节的单行上限"
                f"（每行最多 {limits.max_columns} 列、每个单元格最多 {limits.max_cell_chars:,} 个字符），"
                "可能不是名单文件"
            )
        if newline >= 0:
            lines += chunk.count(b"\n")
            run = len(chunk) - chunk.rfind(b"\n") - 1
        if lines - 1 > limits.max_rows:
            raise LimitExceeded(f"文件超过 {limits.max_rows:,} 行数据的上限（已读到第 {lines:,} 行），请拆分后导入")
    # The header's columns, counted by commas (a quoted comma may overcount: the reader counts exactly).
    if header_width and header_width > limits.max_columns:
        raise LimitExceeded(f"表头有 {header_width} 列，超过 {limits.max_columns} 列的上限")


_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _xlsx_check(fileobj: BinaryIO, limits: ImportLimits) -> None:
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise LimitExceeded(str(XLSX_INVALID)) from None  # a CSV renamed .xlsx, a truncated download
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > limits.max_uncompressed_bytes:
            raise LimitExceeded(
                f"工作簿解压后为 {_mb(total)}，超过上限 {_mb(limits.max_uncompressed_bytes)}，请拆分后导入"
            )
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_FROM_BYTES and ratio > limits.max_ratio:
                raise LimitExceeded(
                    f"工作簿的压缩比为 {ratio:,.0f} 倍（{_mb(member.compress_size)} 解压为 {_mb(member.file_size)}），"
                    f"超过 {limits.max_ratio} 倍的上限，疑似恶意文件"
                )
            if member.filename.lower().endswith("sharedstrings.xml") and (
                member.file_size > limits.max_shared_strings_bytes
            ):
                raise LimitExceeded(
                    f"工作簿的共享文本为 {_mb(member.file_size)}，超过上限 {_mb(limits.max_shared_strings_bytes)}，"
                    "请拆分后导入或另存为 CSV"
                )
        for member in members:
            if member.filename.lower().endswith((".xml", ".rels")):
                _xml_part_check(archive, member, limits)


def _xml_part_check(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: ImportLimits) -> None:
    """One XML part, inflated chunk by chunk: no DTD, rows within the limit, no over-long text run."""
    is_sheet = "worksheets/" in member.filename.lower()
    run_limit = limits.max_cell_chars * UTF8_MAX + 16
    long_text = re.compile(rb"[^<]{%d,}" % (run_limit + 1))
    rows = run = 0
    tail = b""
    try:
        with archive.open(member) as part:
            while chunk := part.read(CHUNK):
                joined = tail + chunk
                if _DECLARATION.search(joined):
                    raise LimitExceeded("工作簿中含有 XML 实体或文档类型声明（DTD），这不是 Excel 保存的文件，已拒绝")
                if is_sheet:
                    rows += len(_ROW.findall(joined)) - len(_ROW.findall(tail))
                    if rows - 1 > limits.max_rows:
                        raise LimitExceeded(
                            f"工作表超过 {limits.max_rows:,} 行数据的上限（已读到第 {rows:,} 行），请拆分后导入"
                        )
                opening = chunk.find(b"<")
                run += len(chunk) if opening < 0 else opening
                if run > run_limit or (opening >= 0 and long_text.search(chunk, opening)):
                    raise LimitExceeded(
                        f"工作簿中有超过 {limits.max_cell_chars:,} 个字符的单元格（单元格上限为 "
                        f"{limits.max_cell_chars:,} 个字符），可能不是名单文件"
                    )
                if opening >= 0:
                    run = len(chunk) - chunk.rfind(b"<") - 1
                tail = joined[-16:]
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        # A damaged or encrypted part (zipfile's messages are English and technical).
        raise LimitExceeded("工作簿已损坏或被加密，无法读取，请用 Excel 重新保存后上传") from None
