"""Id-range chunks for batch work over big tables: each chunk is one short transaction."""

from collections.abc import Iterator

from django.db.models import QuerySet


def id_chunks(queryset: QuerySet, *, size: int) -> Iterator[tuple[int, int, int, int]]:
    """(after, upto, done, total) over the queryset's primary keys: the chunk is after < id <= upto.

    Ranges, not pages of rows: finding the bounds costs two index lookups, and a chunk that a
    re-run finds already done costs one cheap query. `done`/`total` are in ids, for progress bars.
    """
    first = queryset.order_by("pk").values_list("pk", flat=True).first()
    last = queryset.order_by("-pk").values_list("pk", flat=True).first()
    if first is None:
        return
    total = last - first + 1
    for after in range(first - 1, last, size):
        yield after, after + size, min(after + size, last) - first + 1, total
