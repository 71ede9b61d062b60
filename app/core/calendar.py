"""China's official working-day calendar (工作日): weekends and public holidays off, make-up working days (调休) on.

Rules:
- The data come from the maintained `holidays` package (`holidays.China`): its public holidays and its
  `weekend_workdays` (the Saturdays and Sundays the State Council's yearly notice makes working days).
- The package has the official schedule up to `LAST_OFFICIAL_YEAR` (derived from the package itself: the last
  year with make-up working days). A later year has no official schedule yet, so it falls back to weekends
  only (Monday–Friday working, no holidays) and logs a warning once per year: a deadline past it may fall on a
  holiday that the notice will announce. Upgrade the package (`make lock LOCK_ARGS=--upgrade`) when the State
  Council publishes the next year's notice (usually in November).
- "N working days after X" is the N-th working day strictly after X; "working days from D to X" counts the working
  days in (D, X] (0 when X ≤ D).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache

from holidays.countries.china import China
from holidays.holiday_base import HolidayBase

log = logging.getLogger(__name__)

FIRST_YEAR, LAST_YEAR = 2000, 2100


@cache
def _official(year: int) -> HolidayBase:
    return China(years=year)  # type: ignore[no-untyped-call]  # the package leaves __init__ untyped


@cache
def _last_official_year() -> int:
    return max(
        year
        for year in range(FIRST_YEAR, LAST_YEAR + 1)
        if any(d.year == year for d in _official(year).weekend_workdays)
    )


LAST_OFFICIAL_YEAR = _last_official_year()


@cache
def _warn_fallback(year: int) -> None:
    log.warning(
        "no official holiday schedule for %d in the holidays package (last: %d): counting weekends only",
        year,
        LAST_OFFICIAL_YEAR,
    )


def is_official(day: date) -> bool:
    """Whether `day` falls in a year the package has the official schedule for."""
    return day.year <= LAST_OFFICIAL_YEAR


def is_working_day(day: date) -> bool:
    """A working day of the official calendar (weekdays only past `LAST_OFFICIAL_YEAR`)."""
    if not is_official(day):
        _warn_fallback(day.year)
        return day.weekday() < 5
    return bool(_official(day.year).is_working_day(day))


def add_working_days(day: date, n: int) -> date:
    """The n-th working day strictly after `day` (`day` itself for n = 0)."""
    if n < 0:
        raise ValueError("n must not be negative")
    count = 0
    while count < n:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """The number of working days in (start, end]; 0 when end ≤ start."""
    return sum(1 for offset in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=offset)))


def latest_start_reaching(day: date, n: int) -> date:
    """The latest date X whose n-th working day after it is on or before `day` (`day` itself for n = 0).

    For a set-wise cut-off: `add_working_days(X, n) <= day` holds exactly for X <= this date, so a tick as of
    `day` compares `due_on <= latest_start_reaching(day, n)` in SQL instead of calendar arithmetic per row.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return day
    count, cursor = 0, day
    while True:
        if is_working_day(cursor):
            count += 1
            if count == n:
                return cursor - timedelta(days=1)
        cursor -= timedelta(days=1)
