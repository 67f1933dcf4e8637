"""Keyset (cursor) paging for lists that may hold a whole country's rows.

A page is the next ``limit`` rows after the cursor in a fixed order of an instant column
and the primary key, newest first. The cursor names the last row served (its instant and
id), so the next page is one index range, however deep the caller has paged, and rows
added or removed meanwhile neither repeat nor skip the others. The cursor is opaque to
callers: base64url of ``<iso instant>|<id>``; it reveals nothing they were not served.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.responses import NinjaJSONEncoder

from .exceptions import Invalid

PAGE_DEFAULT = 100
PAGE_MAX = 500


def cursor_pack(*parts: str) -> str:
    """An opaque cursor of a few plain values (none may contain ``|``)."""
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def cursor_unpack(cursor: str, count: int) -> list[str]:
    """The ``count`` values of a cursor; Invalid (422) for anything else."""
    try:
        parts = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        parts = []
    if len(parts) != count:
        raise invalid_cursor()
    return parts


def cursor_instant(raw: str) -> datetime:
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_cursor() from None
    if instant.tzinfo is None:
        raise invalid_cursor()
    return instant


def cursor_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise invalid_cursor() from None


def invalid_cursor() -> Invalid:
    return Invalid(_("This cursor is not valid: start again without one."))


def cursor_encode(at: datetime, pk: uuid.UUID) -> str:
    return cursor_pack(at.isoformat(), str(pk))


def cursor_decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The instant and id a cursor names; Invalid (422) for anything else."""
    at, pk = cursor_unpack(cursor, 2)
    return cursor_instant(at), cursor_id(pk)


def page_limit(limit: int | None) -> int:
    if limit is None:
        return PAGE_DEFAULT
    if not 1 <= limit <= PAGE_MAX:
        raise Invalid(_("limit must be between 1 and %(most)d.") % {"most": PAGE_MAX}, limit=limit)
    return limit


def keyset_page(
    rows: QuerySet, *, field: str, limit: int | None, cursor: str | None
) -> tuple[Sequence[Any], str | None]:
    """One page of ``rows`` newest ``field`` first (ties by id), and the cursor of the next
    page, or None when this is the last. Rows are model instances or ``.values()`` dicts
    that include ``field`` and ``"pk"``."""
    size = page_limit(limit)
    after = cursor_decode(cursor) if cursor else None
    ordered = keyset_rows(rows, field=field, after=after)
    return keyset_cut(list(ordered[: size + 1]), field=field, size=size)


def keyset_rows(
    rows: QuerySet, *, field: str, after: tuple[datetime, uuid.UUID] | None
) -> QuerySet:
    """``rows`` after the row a cursor names (its instant and id), newest ``field`` first."""
    if after is not None:
        at, pk = after
        # The redundant ``<=`` bounds the index range; the OR picks up after the last row.
        rows = rows.filter(
            Q(**{f"{field}__lte": at}),
            Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk}),
        )
    return rows.order_by(f"-{field}", "-pk")


def keyset_cut(page: list[Any], *, field: str, size: int) -> tuple[list[Any], str | None]:
    """Up to ``size + 1`` rows read: the page of ``size`` and the next page's cursor."""
    if len(page) <= size:
        return page, None
    page = page[:size]
    last = page[-1]
    if isinstance(last, dict):  # rows of .values(..., "pk", field)
        return page, cursor_encode(last[field], last["pk"])
    return page, cursor_encode(getattr(last, field), last.pk)


def page_response(
    request: HttpRequest, items: list[dict[str, Any]], after: str | None
) -> HttpResponse:
    """A page as the API's JSON answer, with ``X-Next-Cursor`` and ``Link: rel="next"``
    when there is more.

    ``items`` must already be exactly the response schema's items (a selector's fixed
    columns, e.g. ``recordings.selectors.recording_item_from_values``): they are written
    with the encoder and content type ninja uses, without validating every item through
    pydantic once more, which cost more than the query itself for a page of 100. The
    operation keeps its ``response=`` schema for the OpenAPI document; a test holds the
    items to it.
    """
    response = HttpResponse(
        json.dumps(items, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8"
    )
    if after is not None:
        query = request.GET.copy()
        query["cursor"] = after
        response["X-Next-Cursor"] = after
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    return response
