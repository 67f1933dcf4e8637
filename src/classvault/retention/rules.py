"""Retention keys by expiry day (R9): their labels, and when a day's key may go.

Pure functions, no clock, no database.
"""

from datetime import datetime

from classvault.core.time import end_of_day
from classvault.recordings.rules import expiry_day

DAY_KEY_PREFIX = "d-"


def day_retention_key(expires_at: datetime) -> str:
    """The label of the retention key of everything expiring on ``expires_at``'s expiry day."""
    return f"{DAY_KEY_PREFIX}{expiry_day(expires_at):%Y%m%d}"


def day_retention_key_end(label: str) -> datetime | None:
    """When the day of a day label is over (its key may go then); None for other labels."""
    if not label.startswith(DAY_KEY_PREFIX):
        return None
    try:
        day = datetime.strptime(label[len(DAY_KEY_PREFIX) :], "%Y%m%d").date()  # noqa: DTZ007
    except ValueError:
        return None
    return end_of_day(day)
