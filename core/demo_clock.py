"""The demo seeds replay a past year through the real services. Each event must be recorded at its own
time, or every 2023 settlement and credit would be booked on the day `make run` was typed, and the fund
books' cash view (accounting dates, months of payment) would be false. Demo seeding only: never used by
a request, a job or an import."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone


def demo_moment(day: dt.date, hour: int = 16) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@contextmanager
def demo_clock(day: dt.date, hour: int = 16) -> Iterator[None]:
    """Within the block, "now" (timezone.now, auto_now fields) is `day` at `hour`, Asia/Shanghai."""
    with mock.patch("django.utils.timezone.now", return_value=demo_moment(day, hour)):
        yield
