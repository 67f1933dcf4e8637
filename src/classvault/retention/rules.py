"""Retention arithmetic (R9): pure functions, no clock, no database."""

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


def expiry_for(*, recorded_at: datetime, study_end: date | None, months: int) -> datetime:
    """The earlier of ``recorded_at`` + ``months`` and the end of the ``study_end`` day."""
    by_period = add_months_instant(recorded_at, months)
    if study_end is None:
        return by_period
    return min(by_period, end_of_day(study_end))


def today_in_amsterdam(now: datetime) -> date:
    return now.astimezone(AMSTERDAM).date()


def expiry_day(expires_at: datetime) -> date:
    """The last Amsterdam day on which a recording that expires at ``expires_at`` exists.

    A study-end expiry (00:00 on the next day) belongs to the study-end day itself.
    """
    return today_in_amsterdam(expires_at - timedelta(microseconds=1))


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole Amsterdam calendar days from today to the expiry day: 0 means it goes today
    (or is gone already), 1 tomorrow. Calendar days, so a DST change shifts nothing."""
    return max(0, (expiry_day(expires_at) - today_in_amsterdam(now)).days)


DAY_EPOCH_PREFIX = "d-"


def day_epoch(expires_at: datetime) -> str:
    """The label of the retention key of everything expiring on ``expires_at``'s expiry day."""
    return f"{DAY_EPOCH_PREFIX}{expiry_day(expires_at):%Y%m%d}"


def day_epoch_end(label: str) -> datetime | None:
    """When the day of a day label is over (its key may go then); None for other labels."""
    if not label.startswith(DAY_EPOCH_PREFIX):
        return None
    try:
        day = datetime.strptime(label[len(DAY_EPOCH_PREFIX):], "%Y%m%d").date()  # noqa: DTZ007
    except ValueError:
        return None
    return end_of_day(day)
