"""The working-day calendar: known answers of the 2025 National Day and Spring Festival schedules, and the
weekends-only fallback past the package's last official year."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from app.core import calendar


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, make-up working day (调休) of National Day
        (date(2025, 9, 30), True),
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 6), False),  # Mid-Autumn inside the holiday
        (date(2025, 10, 8), False),  # last day off
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2025, 10, 12), False),  # Sunday
        (date(2025, 1, 26), True),  # Sunday, make-up working day of Spring Festival
        (date(2025, 1, 28), False),  # Spring Festival eve
        (date(2025, 2, 4), False),  # last day off
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, make-up working day
    ],
)
def test_working_days_of_2025(day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


def test_adding_working_days_across_national_day() -> None:
    # From Friday 26 September 2025: Sun 28 (调休), Mon 29, Tue 30, then 1–8 October off, Thu 9, Fri 10, Sat 11 (调休).
    assert calendar.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert calendar.add_working_days(date(2025, 9, 26), 3) == date(2025, 9, 30)
    assert calendar.add_working_days(date(2025, 9, 26), 4) == date(2025, 10, 9)
    assert calendar.add_working_days(date(2025, 9, 26), 6) == date(2025, 10, 11)
    assert calendar.add_working_days(date(2025, 9, 26), 7) == date(2025, 10, 13)
    assert calendar.add_working_days(date(2025, 10, 1), 0) == date(2025, 10, 1)
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2025, 10, 1), -1)


def test_counting_working_days_in_a_half_open_interval() -> None:
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert calendar.working_days_between(date(2025, 9, 26), date(2025, 10, 13)) == 7
    assert calendar.working_days_between(date(2025, 10, 13), date(2025, 9, 26)) == 0
    assert calendar.working_days_between(date(2025, 9, 26), date(2025, 9, 26)) == 0


def test_the_two_functions_agree() -> None:
    start = date(2025, 9, 1)
    for n in range(0, 40):
        assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


def test_past_the_last_official_year_only_weekends_are_off(caplog: pytest.LogCaptureFixture) -> None:
    year = calendar.LAST_OFFICIAL_YEAR + 1
    assert calendar.LAST_OFFICIAL_YEAR >= 2026  # holidays 0.109 has the 2026 notice
    new_year = date(year, 1, 1)
    assert not calendar.is_official(new_year)
    calendar._warn_fallback.cache_clear()
    with caplog.at_level(logging.WARNING, logger="app.core.calendar"):
        # New Year's Day is a statutory holiday, but without the year's notice it counts as a weekday.
        assert calendar.is_working_day(new_year) is (new_year.weekday() < 5)
    assert f"no official holiday schedule for {year}" in caplog.text
    saturday = next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() == 5)
    assert calendar.is_working_day(saturday) is False
    assert calendar.add_working_days(saturday, 1) == date(year, 3, saturday.day + 2)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2025, 10, 9), 1, date(2025, 10, 8)),  # 10-09 is the first working day after 09-30 .. 10-08
        (date(2025, 10, 8), 1, date(2025, 9, 29)),  # the holiday: the last working day was 09-30
        (date(2025, 10, 11), 2, date(2025, 10, 9)),  # 10-10 (Fri) and 10-11 (make-up Saturday)
        (date(2025, 10, 12), 0, date(2025, 10, 12)),
    ],
)
def test_latest_start_reaching_known_answers(day: date, n: int, expected: date) -> None:
    assert calendar.latest_start_reaching(day, n) == expected


def test_latest_start_reaching_is_the_exact_cut_off() -> None:
    """X <= the cut-off exactly when the n-th working day after X is on or before the day, around the holiday."""
    for n in (1, 3, 5, 15):
        for offset in range(0, 40):
            day = date(2025, 9, 20) + timedelta(days=offset)
            cut = calendar.latest_start_reaching(day, n)
            assert calendar.add_working_days(cut, n) <= day
            assert calendar.add_working_days(cut + timedelta(days=1), n) > day
