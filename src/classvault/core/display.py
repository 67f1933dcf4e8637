"""Dates and times for people: the site's one format, in Europe/Amsterdam, in their language.

"28 november 2026" and "28 november 2026 14:05" (see classvault/formats). For messages built
in Python; templates use the ``date`` filter with the same formats.
"""

from datetime import date, datetime

from django.utils import formats, timezone


def date_text(value: date | datetime) -> str:
    """The day, e.g. "28 november 2026"; an instant is taken on its day in Amsterdam."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "DATE_FORMAT")


def datetime_text(value: datetime) -> str:
    """The day and time in Amsterdam, e.g. "28 november 2026 14:05"."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
