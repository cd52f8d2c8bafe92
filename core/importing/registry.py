"""The importer contract: each kind of file import declares itself once, the floor does the rest.

An app registers its `Importer` in `AppConfig.ready()`; the upload page, the API, the batch list and
the confirm/cancel actions find it here by the batch's kind. The floor knows no importer by name.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.utils.functional import Promise


@dataclass(frozen=True)
class Importer:
    """One kind of file import.

    kind: the ImportBatch.kind value. headers: column header -> field name; required: headers that
    must be present; key_columns: the (required) headers that identify a row. A later row with the key of
    an earlier one is refused by the floor (duplicates.py) with `duplicate_message`, where "{row}" is the
    earlier row's number (default "与文件第{row}行的<key columns>重复"); the error names the first key
    column and shows duplicate_shown(checked row), e.g. a masked value (None: nothing). The key's values
    are read by field name: from a row file's checked rows (`row_number` and one attribute per field), or
    from the staging table's columns of the same names.
    create(actor=, fileobj=, original_name=, district_id=, mode=, **options) stores and queues a batch.
    confirm / revalidate (actor=, batch=) exist for kinds that preview before writing.
    on_cancel(batch_id) cleans up after a cancelled batch (e.g. its staging rows).
    on_upload_page: offered on the 批量导入 page and POST /api/v1/imports/ (others have their own page).
    options: extra upload fields this kind needs (e.g. "effective_date").
    example: one sample row (in header order) for the template staff download.
    row_links(batch=, row_numbers=, user=) -> {row number: URL}: for refused rows about a record that
    already exists (e.g. the person a 重复参保 row names), a link to that record when `user` may see it."""

    kind: str
    label: str | Promise
    headers: dict[str, str]
    required: tuple[str, ...]
    key_columns: tuple[str, ...]
    create: Callable[..., Any]
    confirm: Callable[..., Any] | None = None
    revalidate: Callable[..., Any] | None = None
    on_cancel: Callable[[int], None] | None = None
    on_upload_page: bool = True
    options: tuple[str, ...] = field(default=())
    example: tuple[str, ...] = ()  # one row for the downloadable template
    duplicate_message: str = ""
    duplicate_shown: Callable[[Any], str] | None = None
    row_links: Callable[..., dict[int, str]] | None = None

    def __post_init__(self) -> None:
        # A key column the file may leave out would make every row the duplicate of the first.
        optional = [title for title in self.key_columns if title not in self.required or title not in self.headers]
        if not self.key_columns or optional:
            raise ImproperlyConfigured(f"importer {self.kind!r}: key columns must be required headers: {optional}")

    @property
    def key_fields(self) -> tuple[str, ...]:
        """The field names of the key columns (also the staging columns / row attributes holding them)."""
        return tuple(self.headers[title] for title in self.key_columns)

    @property
    def duplicate_template(self) -> str:
        """The refusal of a row whose key an earlier row has; "{row}" stands for the earlier row's number."""
        return self.duplicate_message or f"与文件第{{row}}行的{'、'.join(self.key_columns)}重复"


IMPORTERS: dict[str, Importer] = {}


def register_importer(importer: Importer) -> None:
    known = IMPORTERS.get(importer.kind)
    if known is not None and known != importer:
        raise ImproperlyConfigured(f"importer {importer.kind!r} registered twice")
    IMPORTERS[importer.kind] = importer


def importer_for(kind: str) -> Importer:
    try:
        return IMPORTERS[kind]
    except KeyError:
        raise LookupError(f"no importer registered for {kind!r}") from None


def upload_page_importers() -> list[Importer]:
    return [i for i in IMPORTERS.values() if i.on_upload_page]


def importer_step(kind: str, step: str) -> Callable[..., Any]:
    """A kind's "confirm" or "revalidate" service; a kind without that step answers 404 (page and API)."""
    service = getattr(importer_for(kind), step)
    if service is None:
        raise Http404("该类型的导入没有这一步。")
    return service
