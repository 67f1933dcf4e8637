"""Time on the school's calendar: Europe/Amsterdam days and month arithmetic.

Pure functions: no clock (callers pass ``now``), no database. The contract's "day" is the
day in Europe/Amsterdam, and "N months after" keeps the day of the month or takes the
month's last day (31 January + 1 month = 28 or 29 February).
"""

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# The input layer keeps dates within 1900..2199 (core/validation.py), but rows stored before
# it, or a wild retention setting, must not crash an upload or the sweep: the arithmetic
# below saturates at these instants instead of overflowing (year 1 or 9999 plus a day).
# Both lie a few days inside datetime's range, so converting them to any zone is safe.
EARLIEST = datetime(1, 1, 3, tzinfo=UTC)
LATEST = datetime(9999, 12, 29, tzinfo=UTC)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``; a day the target month lacks becomes its last day
    (31 January + 1 month = 28 or 29 February). Saturates at date.min and date.max."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year < date.min.year:
        return date.min
    if year > date.max.year:
        return date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _clamp(instant: datetime) -> datetime:
    return min(max(instant, EARLIEST), LATEST)


def _to_utc(day: date, at: time) -> datetime:
    """``day`` at wall-clock ``at`` in Amsterdam, in UTC; saturated near datetime's limits."""
    if day <= EARLIEST.date():
        return EARLIEST
    if day >= LATEST.date():
        return LATEST
    return datetime.combine(day, at, tzinfo=AMSTERDAM).astimezone(UTC)


def add_months_instant(instant: datetime, months: int) -> datetime:
    """The same wall-clock time in Amsterdam, ``months`` later (clamped to the month's end)."""
    local = _clamp(instant).astimezone(AMSTERDAM)
    target = add_months(local.date(), months)
    return _to_utc(target, local.timetz().replace(tzinfo=None))


def end_of_day(day: date) -> datetime:
    """00:00 Europe/Amsterdam on the day after ``day``, in UTC."""
    if day >= LATEST.date():
        return LATEST
    return _to_utc(day + timedelta(days=1), time(0))


def today_in_amsterdam(now: datetime) -> date:
    """The date in Europe/Amsterdam at the instant ``now`` (the contract's "day")."""
    return now.astimezone(AMSTERDAM).date()
