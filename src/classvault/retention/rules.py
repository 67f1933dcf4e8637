"""Retention arithmetic (R9): pure functions, no clock, no database."""

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``; a day the target month lacks becomes its last day
    (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_months_instant(instant: datetime, months: int) -> datetime:
    """The same wall-clock time in Amsterdam, ``months`` later (clamped to the month's end)."""
    local = instant.astimezone(AMSTERDAM)
    target = add_months(local.date(), months)
    return datetime.combine(target, local.timetz().replace(tzinfo=None),
                            tzinfo=AMSTERDAM).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """00:00 Europe/Amsterdam on the day after ``day``, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=AMSTERDAM).astimezone(UTC)


def expiry_for(*, recorded_at: datetime, study_end: date | None, months: int) -> datetime:
    """The earlier of ``recorded_at`` + ``months`` and the end of the ``study_end`` day."""
    by_period = add_months_instant(recorded_at, months)
    if study_end is None:
        return by_period
    return min(by_period, end_of_day(study_end))


def today_in_amsterdam(now: datetime) -> date:
    return now.astimezone(AMSTERDAM).date()
