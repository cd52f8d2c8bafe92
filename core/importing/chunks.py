"""Check a big CSV import on every core: the file cut into chunks of whole rows, each chunk read and
checked in a worker process, the results taken back in file order.

Pickling parsed rows to a worker costs about as much as checking them, so the workers get bytes: the
main process only cuts the file at line ends and counts the rows of each chunk (C-speed byte counts),
so every chunk knows the file row number it starts at. A cut is only safe outside a quoted cell, so a
file holding any double quote is read in one process as before (`parallel_csv`): Excel writes quotes
only around cells holding a comma, a quote or a line break, which enrollee lists do not have.

The rows a worker reads are the rows `reader.iter_rows` would read, with the same numbers, limits and
file problems (`chunk_rows`); the caller's check function and its results are its own, merged in order
(`ordered_map`), so a file's errors come out as if one process had read it.
"""

import csv
import io
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from ..failures import StaffError
from .limits import ImportLimits
from .reader import CSV_ENCODING_PROBLEM, CSV_FORMAT_PROBLEM, FileProblem, csv_cells, csv_encoding, limited_rows

# 可配置默认值 (settings YIBAO_IMPORT_PARALLEL_MIN_BYTES / YIBAO_IMPORT_WORKERS): below 8 MB (about
# 80,000 rows) starting the worker processes costs more than it saves; two workers for this 2-core machine.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
WORKERS = 2
CHUNK_BYTES = 1 << 19  # about 5,000 rows a chunk: the last chunks leave a worker idle for less; a task still costs ~1%
AHEAD = 2  # chunks queued per worker beyond the one it checks: bounded memory, workers never idle


@dataclass(frozen=True)
class Chunk:
    """Whole rows of a CSV file: `data` (bytes) starts at file row `start` (the header is row 1)."""

    data: bytes
    start: int
    encoding: str
    limits: ImportLimits


def parallel_csv(path: Path, original_name: str, *, min_bytes: int = PARALLEL_MIN_BYTES) -> bool:
    """Whether the file is a CSV big enough to check in parallel and safe to cut at line ends."""
    if not original_name.lower().endswith(".csv") or path.stat().st_size < min_bytes:
        return False
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            if b'"' in block:
                return False
    return True


def _line_ends(data: bytes) -> int:
    """Rows ended in `data` (no quotes in it): the csv module ends a row at \\n, \\r\\n or a lone \\r."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def csv_chunks(path: Path, limits: ImportLimits, *, size: int | None = None) -> Iterator[Chunk]:
    """Cut a quote-free CSV file (see parallel_csv) after a line end about every `size` bytes."""
    size = size or CHUNK_BYTES
    encoding = csv_encoding(path)
    start = 1
    first = True
    with open(path, "rb") as fh:
        rest = b""
        while True:
            block = fh.read(size)
            data = rest + block
            if not block:
                if data:
                    yield Chunk(data, start, encoding, limits)
                return
            cut = data.rfind(b"\n") + 1
            if not cut:
                rest = data
                continue
            # A BOM only at the very start, as a file opened with utf-8-sig strips it there only.
            chunk_encoding = encoding if first or encoding != "utf-8-sig" else "utf-8"
            yield Chunk(data[:cut], start, chunk_encoding, limits)
            start += _line_ends(data[:cut])
            rest, first = data[cut:], False


# Whitespace (not a line end) at the edge of a cell: only then must cells be stripped. In a quote-free
# chunk a cell is exactly the text between commas and line ends (\n, \r\n or a lone \r).
_SPACE = re.compile(r"[^\S\r\n]")  # (fast: most chunks have none, names with a space are rare)
_EDGE_SPACE = re.compile(r"(?:^|,|\r)[^\S\r\n]|[^\S\r\n](?:,|\r|$)", re.MULTILINE)


def chunk_rows(chunk: Chunk) -> Iterator[tuple[int, list[str]]]:
    """(file row number, cells) of a chunk's rows, as iter_rows and BatchRows give them: the header
    (row 1) and blank rows left out, the limits enforced, file problems raised as FileProblem."""
    try:
        text = chunk.data.decode(chunk.encoding)
    except UnicodeDecodeError:
        raise FileProblem(CSV_ENCODING_PROBLEM) from None
    plain = _plain_rows(text, chunk.limits)
    if plain is None:
        rows = limited_rows(csv_cells(io.StringIO(text, newline="")), chunk.limits, start=chunk.start)
        for row_number, cells in enumerate(rows, start=chunk.start):
            if row_number > 1 and any(cells):
                yield row_number, cells
        return
    max_row, max_columns = chunk.limits.max_rows + 1, chunk.limits.max_columns
    try:
        for row_number, cells in enumerate(plain, start=chunk.start):
            if row_number > max_row or len(cells) > max_columns:  # the same check, for its message
                next(limited_rows([cells], chunk.limits, start=row_number), None)
            if row_number > 1 and any(cells):
                yield row_number, cells
    except csv.Error:
        raise FileProblem(CSV_FORMAT_PROBLEM) from None


def _plain_rows(text: str, limits: ImportLimits) -> Iterator[list[str]] | None:
    """The rows of quote-free CSV text as the csv module reads them, if no cell needs stripping and none can
    pass the cell limit (no line is that long): then each row needs checking only for its width. None if
    the chunk must be read cell by cell (reader.csv_cells and the limits).

    The csv module ends rows at \n, \r\n or a lone \r; with no lone \r, splitting at line ends and commas
    gives the same cells at twice its speed (a blank line gives [""] where csv gives []: both are blank
    rows). With a lone \r, lines split at \n only are longer than its rows: the length test still holds."""
    if _SPACE.search(text) is not None and _EDGE_SPACE.search(text) is not None:
        return None
    lone_cr = "\r" in text and text.count("\r") != text.count("\r\n")
    lines = (text if lone_cr else text.replace("\r\n", "\n")).split("\n")
    if max(map(len, lines)) > limits.max_cell_chars:
        return None
    if lone_cr:
        return csv.reader(io.StringIO(text, newline=""))
    if lines[-1] == "":  # the line end of the last line: csv reads no row after it
        lines.pop()
    return map(str.split, lines, repeat(","))


def worker_count() -> int:
    from django.conf import settings

    wanted = int(getattr(settings, "YIBAO_IMPORT_WORKERS", WORKERS))
    return max(1, min(wanted, os.cpu_count() or 1))


def ordered_map(
    func: Callable[[Chunk, Any], Any], chunks: Iterator[Chunk], context: Any, *, workers: int
) -> Iterator[Any]:
    """func(chunk, context) for every chunk in worker processes, yielded in the chunks' order.

    func must be a module-level function of a module already imported. The workers are forked: they
    start at once with the caller's modules (spawn and forkserver would import the caller's __main__
    again, e.g. a worker's or a script's). They run only func over bytes: they touch no database
    connection or lock the caller holds, and leave without running its exit handlers.

    A worker that dies (killed, out of memory) raises FileWorkerLost here: multiprocessing.Pool lost its
    chunk and waited for it for ever, and its terminate() could hang the caller too (seen once in the
    test suite: both workers exited, the import never returned)."""
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    try:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(executor.submit(func, chunk, context))
            if len(pending) > workers * AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool:  # (from result(), or from submit() once the pool knows)
        raise FileWorkerLost("检查文件的工作进程意外退出，请重新校验该批次") from None
    finally:
        # (an early stop, e.g. a file problem: the queued chunks are dropped, the ones being checked finish)
        executor.shutdown(wait=True, cancel_futures=True)


class FileWorkerLost(StaffError):
    """A worker process checking a chunk of the file died; the run fails and can be started again."""
