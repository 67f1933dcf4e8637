"""The one validation layer for what comes in: no NUL characters, no absurd dates.

Two rules hold for every input, whatever the field:

- Text never contains NUL (U+0000): PostgreSQL cannot store it (every such request was a
  500, the login included) and SQLite would store it silently. The
  :class:`~classvault.core.middleware.InputGuardMiddleware` refuses it in the path, the query
  string, form fields and JSON bodies (also as the escape ``\\u0000``) of every request,
  before any view runs: 422 ``{"detail"}`` under /api, a plain 400 elsewhere. The one body
  it must not read is a multipart upload (that would take the video in before the
  encrypting upload handler is in place); the upload endpoint passes its parsed form fields
  through the same :func:`refuse_nul`.
- Dates lie between :data:`EARLIEST_DAY` and :data:`LATEST_DAY`; instants carry their UTC
  offset and lie in the same window. :class:`InputSchema`, the base of every request schema,
  checks every date and datetime of a payload, nested ones included (422). The multipart
  ``recorded_at`` is parsed by hand and goes through :func:`check_instant`. Narrower
  ranges for one field (a study end) are Field constraints on top of this.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from .exceptions import Invalid

NUL = "\x00"

# Wide enough for any date of birth, consent or recording; narrow enough that no arithmetic
# on it (months added, time zones, a day more) can leave Python's or a database's range.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)


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


def nul_message() -> str:
    return _("The request contains a NUL character (\\0), which no text may hold. "
             "Remove it and try again.")


def refuse_nul(value: Any) -> None:
    """:class:`Invalid` (422) when ``value`` holds a NUL anywhere."""
    if contains_nul(value):
        raise Invalid(nul_message())


def _window_message() -> str:
    return _("Dates must lie between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()}


def date_problem(value: Any) -> str | None:
    """Why a date or instant in ``value`` (or nested in it) is refused; None when all are fine."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return _("Give every time with its UTC offset, e.g. 2026-11-02T10:00:00+01:00.")
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
