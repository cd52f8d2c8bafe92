"""What every file import does around its own row checks: read the rows under the importer's header
and write the refused rows' errors (progress: core.services.job_run_progress).

Errors (and progress) go through plain SQL on a connection the caller may choose, so an import that
keeps the main connection busy with a streaming COPY (the enrollee list) writes them on a side one.
"""

from collections.abc import Generator, Iterator
from pathlib import Path
from types import TracebackType

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from ..models import ImportBatch, ImportRowError
from .reader import FileProblem, count_data_rows, header_index, iter_rows
from .registry import Importer

RowError = tuple[int, str, str, str]  # row number, column header, value shown, reason

_ERRORS = ImportRowError._meta.db_table
_INSERT_ERROR = f"INSERT INTO {_ERRORS} (batch_id, row_number, field, value, message) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608


class BatchRows:
    """The data rows of a batch's file, read once under its importer's header.

    Entering reads the header and maps it (`positions`: field -> column), so a missing required column
    is a FileProblem before any row; iterating yields (row number in the file, cells), skipping blank
    lines (common at the end of Excel exports) and counting the others in `count`.
    """

    def __init__(self, batch: ImportBatch, importer: Importer) -> None:
        self.path = Path(batch.file.path)
        self.original_name = batch.original_name
        self.importer = importer
        self.positions: dict[str, int] = {}
        self.count = 0
        self._rows: Generator[list[str], None, None] | None = None

    def estimate(self) -> int:
        """A fast estimate of the data rows, for the progress bar's total."""
        return count_data_rows(self.path, self.original_name)

    def __enter__(self) -> "BatchRows":
        self._rows = iter_rows(self.path, self.original_name)
        header = next(self._rows, None)
        if header is None:
            raise FileProblem("文件为空")
        self.positions = header_index(header, self.importer.headers, self.importer.required)
        return self

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        assert self._rows is not None, "enter BatchRows before reading it"
        for row_number, cells in enumerate(self._rows, start=2):
            if any(cells):
                self.count += 1
                yield row_number, cells

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Closing the reader's generator closes the workbook or file at once, not at garbage collection.
        if self._rows is not None:
            self._rows.close()


def row_errors_write(*, batch_id: int, errors: list[RowError], db: BaseDatabaseWrapper | None = None) -> None:
    """Store the refused rows' errors (cut to the columns' sizes) and empty the list."""
    if not errors:
        return
    with (db or connection).cursor() as cursor:
        cursor.executemany(_INSERT_ERROR, [(batch_id, r, f, v[:100], m[:200]) for r, f, v, m in errors])
    errors.clear()
