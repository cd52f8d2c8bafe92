"""The importer contract: each kind of file import declares itself once, the floor does the rest.

An app registers its `Importer` in `AppConfig.ready()`; the upload page, the API, the batch list and
the confirm/cancel actions find it here by the batch's kind. The floor knows no importer by name.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise


@dataclass(frozen=True)
class Importer:
    """One kind of file import.

    kind: the ImportBatch.kind value. headers: column header -> field name; required: headers that
    must be present; key_columns: the headers that identify a row (the duplicate-in-file check).
    create(actor=, fileobj=, original_name=, district_id=, mode=, **options) stores and queues a batch.
    confirm / revalidate (actor=, batch=) exist for kinds that preview before writing.
    on_cancel(batch_id) cleans up after a cancelled batch (e.g. its staging rows).
    on_upload_page: offered on the 批量导入 page and POST /api/v1/imports/ (others have their own page).
    options: extra upload fields this kind needs (e.g. "effective_date").
    example: one sample row (in header order) for the template staff download."""

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
