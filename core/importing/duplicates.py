"""The duplicate-in-file check of every import, driven by its importer's `key_columns`.

The first row with a key wins; a later row with the same key is refused, naming the earlier row.
One statement does it, over whichever staging table holds the batch's checked rows: it finds the
smallest row number per key, and every row above it is a repeat (`duplicate_rows_sql`).

* The enrollee list stages whole files (enrollment's staging table, whose columns are named like
  the key's fields) and checks them at once; the errors are written in SQL (`duplicates_record`),
  over the rows of the keys a `RepeatFilter` noted more than once while the rows streamed in.
* Row files (payments, aid recipients) are applied chunk by chunk, and in 逐行 mode a chunk commits
  before the next one is read. So before a chunk is applied its keys are staged here (`ImportKey`,
  core_importkey), and the chunk's rows are checked against every earlier row of the file in one
  query (`duplicates_refuse`). Staged keys are deleted when the batch finishes or is cancelled.
"""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from ..models import ImportRowError
from ..models.imports import ImportKey
from .registry import Importer
from .rows import RowError
from .staging import copy_rows

KEYS = ImportKey._meta.db_table
_ERRORS = ImportRowError._meta.db_table


def duplicate_rows_sql(*, table: str, key: Sequence[str], where: str = "", chunk: bool = False) -> str:
    """SELECT row_number, first_row for each row of batch %(batch)s whose key row first_row had first.

    `key` names the key's columns, `where` filters the rows that count (e.g. "NOT rejected", unqualified).
    A whole batch: the smallest row number per key by a window, one sort of the batch. With `chunk`,
    only the rows from row %(since)s on, each looking up its key's smallest row number in the
    (batch, key, row number) index: the cost is the chunk's, not the file's so far, whatever the
    planner knows of a staging table that grows between statistics runs.
    Table and column names come from code; every value is a parameter."""
    only = f" AND {where}" if where else ""
    if chunk:
        same_key = " AND ".join(f"e.{column} = c.{column}" for column in key)
        first_row = f"SELECT MIN(e.row_number) FROM {table} e WHERE e.batch_id = c.batch_id AND {same_key}{only}"  # noqa: S608
        rows = f"""
            SELECT c.row_number, ({first_row}) AS first_row
            FROM {table} c WHERE c.batch_id = %(batch)s AND c.row_number >= %(since)s{only}
        """  # noqa: S608
    else:
        # Grouping needs equality only: on PostgreSQL the sort runs in byte order ("C"), several times
        # faster than the database's locale order, with the same groups (its collation is deterministic).
        collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
        partition = ", ".join(f"{column}{collate}" for column in key)
        rows = f"""
            SELECT row_number, MIN(row_number) OVER (PARTITION BY {partition}) AS first_row
            FROM {table} WHERE batch_id = %(batch)s{only}
        """  # noqa: S608
    return f"SELECT row_number, first_row FROM ({rows}) d WHERE row_number > first_row"  # noqa: S608


class RepeatFilter:
    """Which keys of a file may repeat: every key is noted as the rows stream past, in a fixed table of
    bits (a Bloom filter with one hash), and a key whose bit is already set is a candidate.

    Every real repeat is a candidate; a few others are too (about n / 2^27 of the keys, under 1.5% at the
    import's 2,000,000-row limit). So the SQL that names the first row of each repeat reads only the
    candidates' rows (`duplicates_record(candidates=...)`), not a sort of the whole file (0.35 s at 300k
    rows, growing as n log n), and a file without a candidate needs no SQL. Memory: 16 MB, whatever
    the file's size. Keys are non-negative integers (e.g. an ID number's 17 digits)."""

    _SLOTS = 134_217_689  # a prime below 2^27: an ID number's decimal structure spreads over the bits

    def __init__(self) -> None:
        self._bits = bytearray(self._SLOTS // 8 + 1)
        self.candidates: set[int] = set()

    def add(self, keys: Iterable[int]) -> None:
        bits, slots, candidates = self._bits, self._SLOTS, self.candidates
        for key in keys:
            slot = key % slots
            byte, bit = slot >> 3, 1 << (slot & 7)
            if bits[byte] & bit:
                candidates.add(key)
            else:
                bits[byte] |= bit


def duplicates_record(
    *, batch_id: int, importer: Importer, table: str, where: str = "", candidates: Sequence[str] | None = None
) -> int:
    """Refuse the repeated rows of a whole staged batch, writing their errors in SQL; how many.

    `table` holds the batch's rows with `batch_id`, `row_number` and one column per key field. The
    error shows no value: the rows stay in the staging table, and the message names the first row.
    `candidates` (a one-column key's values, from a RepeatFilter): only rows with these keys can repeat."""
    before, _, after = importer.duplicate_template.partition("{row}")
    params = {"batch": batch_id, "field": importer.key_columns[0], "before": before, "after": after}
    if candidates is not None:
        if not candidates:
            return 0
        if connection.vendor == "postgresql":  # (SQLite, the demo, sorts the whole batch)
            (column,) = importer.key_fields
            where = " AND ".join(filter(None, [where, f"{column} = ANY(%(candidates)s)"]))
            params["candidates"] = list(candidates)
    repeats = duplicate_rows_sql(table=table, key=importer.key_fields, where=where)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_ERRORS} (batch_id, row_number, field, value, message)
            SELECT %(batch)s, row_number, %(field)s, '', %(before)s || CAST(first_row AS TEXT) || %(after)s
            FROM ({repeats}) repeats
            """,  # noqa: S608
            params,
        )
        return cursor.rowcount


def duplicates_refuse(*, batch_id: int, importer: Importer, rows: Sequence[Any], errors: list[RowError]) -> list[Any]:
    """Stage a chunk's keys and return its rows that are no repeat of an earlier row of the file.

    `rows` are checked rows, in file order, from after every earlier chunk of the batch; each has
    `row_number` and the key's fields as attributes. A repeat's error goes to `errors`. Call it in the
    chunk's transaction, so a chunk that rolls back takes its keys with it."""
    if not rows:
        return []
    staged = ((batch_id, row.row_number, _key(importer, row)) for row in rows)
    copy_rows(KEYS, ("batch_id", "row_number", "key"), staged)
    with connection.cursor() as cursor:
        cursor.execute(
            duplicate_rows_sql(table=KEYS, key=("key",), chunk=True), {"batch": batch_id, "since": rows[0].row_number}
        )
        first_rows = dict(cursor.fetchall())
    if not first_rows:
        return list(rows)
    column, template, shown = importer.key_columns[0], importer.duplicate_template, importer.duplicate_shown
    kept = []
    for row in rows:
        first = first_rows.get(row.row_number)
        if first is None:
            kept.append(row)
        else:
            errors.append((row.row_number, column, shown(row) if shown else "", template.format(row=first)))
    return kept


def _key(importer: Importer, row: Any) -> str:
    """A checked row's key values as one text. JSON, so values holding any character (a separator, a
    quote, NUL, which PostgreSQL text refuses) still give different keys different texts."""
    return json.dumps([str(getattr(row, field)) for field in importer.key_fields], ensure_ascii=False)


def import_keys_clear(batch_id: int) -> None:
    """Forget a batch's staged keys (it finished, failed or was cancelled; a re-run stages them again)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {KEYS} WHERE batch_id = %s", [batch_id])  # noqa: S608
