"""China's working-day calendar (PLACEHOLDER until branch h16a's module is merged; same interface)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _china(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=[year])


def is_working_day(day: date) -> bool:
    return bool(_china(day.year).is_working_day(day))


def add_working_days(day: date, n: int) -> date:
    """The n-th working day strictly after `day`."""
    count = 0
    while count < n:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]."""
    return sum(1 for i in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=i)))
