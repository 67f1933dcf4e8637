"""Expiry arithmetic: month ends, leap days, study end, daylight saving time."""

from datetime import UTC, date, datetime

import pytest

from classvault.core.time import AMSTERDAM, add_months, end_of_day, today_in_amsterdam
from classvault.recordings.rules import expiry_for


@pytest.mark.parametrize(
    "day,months,expected",
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 9, 30), 6, date(2027, 3, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), 6, date(2026, 9, 30)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last(day, months, expected):
    assert add_months(day, months) == expected


def test_end_of_study_day_is_midnight_amsterdam_in_winter_and_summer():
    assert end_of_day(date(2027, 1, 10)) == datetime(2027, 1, 10, 23, 0, tzinfo=UTC)
    assert end_of_day(date(2027, 7, 10)) == datetime(2027, 7, 10, 22, 0, tzinfo=UTC)


def test_expiry_is_six_months_later_at_the_same_local_time_across_dst():
    recorded = datetime(2026, 11, 2, 10, 0, tzinfo=AMSTERDAM)  # winter time
    expiry = expiry_for(recorded_at=recorded, study_end=None, months=6)
    assert expiry == datetime(2027, 5, 2, 10, 0, tzinfo=AMSTERDAM)  # summer time
    assert expiry.utcoffset().total_seconds() == 0  # stored in UTC


def test_study_end_wins_when_earlier():
    recorded = datetime(2026, 11, 2, 10, 0, tzinfo=AMSTERDAM)
    expiry = expiry_for(recorded_at=recorded, study_end=date(2027, 1, 31), months=6)
    assert expiry == datetime(2027, 2, 1, 0, 0, tzinfo=AMSTERDAM)


def test_retention_period_wins_when_earlier():
    recorded = datetime(2026, 11, 2, 10, 0, tzinfo=AMSTERDAM)
    expiry = expiry_for(recorded_at=recorded, study_end=date(2030, 1, 1), months=6)
    assert expiry == datetime(2027, 5, 2, 10, 0, tzinfo=AMSTERDAM)


def test_recorded_on_31_august_expires_on_the_last_of_february():
    recorded = datetime(2026, 8, 31, 9, 30, tzinfo=AMSTERDAM)
    assert expiry_for(recorded_at=recorded, study_end=None, months=6) == datetime(
        2027, 2, 28, 9, 30, tzinfo=AMSTERDAM
    )


def test_today_is_the_amsterdam_day():
    assert today_in_amsterdam(datetime(2026, 11, 29, 23, 30, tzinfo=UTC)) == date(2026, 11, 30)
