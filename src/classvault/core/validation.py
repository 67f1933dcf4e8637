"""The one validation layer for what comes in: no NUL characters, no absurd dates.

These rules hold for every input, whatever the field:

- Text never contains NUL (U+0000): PostgreSQL cannot store it (every such request was a
  500, the login included) and SQLite would store it silently. The
  :class:`~classvault.core.middleware.InputGuardMiddleware` refuses it in the path, the query
  string, form fields and JSON bodies (also as the escape ``\\u0000``) of every request,
  before any view runs: 422 ``{"detail"}`` under /api, a plain 400 elsewhere. The one body
  it must not read is a multipart upload (that would take the video in before the
  encrypting upload handler is in place); the upload endpoint passes its parsed form fields
  through the same :func:`refuse_nul`.
- Text is valid Unicode: a JSON escape may spell a lone surrogate (``"\\ud800"``), which
  no database can store as UTF-8 (a 500 at the login, among others). Refused in the same
  places and the same way as NUL.
- Dates lie between :data:`EARLIEST_DAY` and :data:`LATEST_DAY`; instants carry their UTC
  offset and lie in the same window. :class:`InputSchema`, the base of every request schema,
  checks every date and datetime of a payload, nested ones included (422). The multipart
  ``recorded_at`` is parsed by hand and goes through :func:`check_instant`. Narrower
  ranges for one field (a study end) are Field constraints on top of this. UTC offsets lie
  within ±14:00, as every real time zone's does (Python accepts up to ±23:59, PostgreSQL
  refuses beyond ±15:59).
"""

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from .exceptions import Invalid

NUL = "\x00"
# Surrogate code points are no characters: UTF-8 cannot encode them.
SURROGATE = re.compile("[\ud800-\udfff]")

# Wide enough for any date of birth, consent or recording; narrow enough that no arithmetic
# on it (months added, time zones, a day more) can leave Python's or a database's range.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)
# The widest offset of any real time zone (Kiribati, +14:00).
MAX_UTC_OFFSET = timedelta(hours=14)


def contains_nul(value: Any) -> bool:
    """True when any text in ``value`` (strings, keys, lists, dicts, query dicts) has a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, MultiValueDict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.lists())
    if isinstance(value, Mapping):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def contains_surrogate(value: Any) -> bool:
    """True when any text in ``value`` holds a lone surrogate (not encodable as UTF-8)."""
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, MultiValueDict):
        return any(contains_surrogate(k) or contains_surrogate(v) for k, v in value.lists())
    if isinstance(value, Mapping):
        return any(contains_surrogate(k) or contains_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_surrogate(v) for v in value)
    return False


def nul_message() -> str:
    return _(
        "The request contains a NUL character (\\0), which no text may hold. "
        "Remove it and try again."
    )


def surrogate_message() -> str:
    return _(
        "The request contains text that is not valid Unicode (a lone surrogate such "
        "as \\ud800). Correct it and try again."
    )


def text_problem(value: Any) -> str | None:
    """Why text in ``value`` is refused (a NUL, a lone surrogate); None when it is fine."""
    if contains_nul(value):
        return nul_message()
    if contains_surrogate(value):
        return surrogate_message()
    return None


def refuse_nul(value: Any) -> None:
    """:class:`Invalid` (422) when ``value`` holds a NUL or a lone surrogate anywhere."""
    problem = text_problem(value)
    if problem:
        raise Invalid(problem)


def _window_message() -> str:
    return _("Dates must lie between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DAY.isoformat(),
        "latest": LATEST_DAY.isoformat(),
    }


def date_problem(value: Any) -> str | None:
    """Why a date or instant in ``value`` (or nested in it) is refused; None when all are fine."""
    if isinstance(value, datetime):
        offset = value.utcoffset() if value.tzinfo is not None else None
        if offset is None:
            return _("Give every time with its UTC offset, e.g. 2026-11-02T10:00:00+01:00.")
        if abs(offset) > MAX_UTC_OFFSET:
            return _("A UTC offset lies between -14:00 and +14:00.")
        # The date as written: comparing aware instants could overflow near year 1.
        return None if EARLIEST_DAY <= value.date() <= LATEST_DAY else _window_message()
    if isinstance(value, date):
        return None if EARLIEST_DAY <= value <= LATEST_DAY else _window_message()
    if isinstance(value, list | tuple | set | frozenset):
        return next((p for v in value if (p := date_problem(v))), None)
    if isinstance(value, Mapping):
        return next((p for v in value.values() if (p := date_problem(v))), None)
    return None


def check_instant(value: datetime) -> datetime:
    """``value`` if it is an instant with an offset inside the window, else :class:`Invalid`."""
    problem = date_problem(value)
    if problem:
        raise Invalid(problem)
    return value


class InputSchema(Schema):
    """The base of every request schema (JSON bodies and query schemas): dates in the window,
    instants with their offset. Nested schemas derive from it too, so they check themselves."""

    @field_validator("*", mode="after")
    @classmethod
    def _dates_in_window(cls, value: Any) -> Any:
        problem = date_problem(value)
        if problem:
            raise PydanticCustomError("date_out_of_range", problem)
        return value
