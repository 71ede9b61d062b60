"""The service's clock. "Today" is the calendar date in Asia/Shanghai, whatever the host's zone.

Tests pin time with `frozen_clock(...)`; production code calls `now()` / `today()` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_fixed: datetime | None = None


def now() -> datetime:
    """Current instant, timezone-aware UTC."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def today() -> date:
    """Current calendar date in Asia/Shanghai (the bureau's dates)."""
    return now().astimezone(LOCAL_TZ).date()


@contextmanager
def frozen_clock(at: datetime) -> Iterator[None]:
    """Pin the clock (tests only). `at` must be timezone-aware."""
    global _fixed
    if at.tzinfo is None:
        raise ValueError("frozen_clock needs an aware datetime")
    previous, _fixed = _fixed, at.astimezone(UTC)
    try:
        yield
    finally:
        _fixed = previous
