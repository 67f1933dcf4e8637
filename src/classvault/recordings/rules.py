"""A recording's lifespan (R9): when it expires, and how many days it has left.

Pure functions: no clock, no database. The sweep (retention) and the visibility rule
(sharing) both act on the ``expires_at`` computed here.
"""

from datetime import date, datetime, timedelta

from classvault.core.time import add_months_instant, end_of_day, today_in_amsterdam


def expiry_for(*, recorded_at: datetime, study_end: date | None, months: int) -> datetime:
    """The earlier of ``recorded_at`` + ``months`` and the end of the ``study_end`` day."""
    by_period = add_months_instant(recorded_at, months)
    if study_end is None:
        return by_period
    return min(by_period, end_of_day(study_end))


def expiry_day(expires_at: datetime) -> date:
    """The last Amsterdam day on which a recording that expires at ``expires_at`` exists.

    A study-end expiry (00:00 on the next day) belongs to the study-end day itself.
    """
    return today_in_amsterdam(expires_at - timedelta(microseconds=1))


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole Amsterdam calendar days from today to the expiry day: 0 means it goes today
    (or is gone already), 1 tomorrow. Calendar days, so a DST change shifts nothing."""
    return max(0, (expiry_day(expires_at) - today_in_amsterdam(now)).days)
