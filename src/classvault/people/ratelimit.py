"""Request rate per API token: a fixed window counted in the database.

Why the database: the embedded default runs several gunicorn processes and no Redis, and a
per-process counter would let each process grant the full rate. One upsert per bearer
request (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, SQLite 3.35+ and PostgreSQL)
counts atomically across processes; it costs one short write transaction per request.

A fixed window (not a sliding one) keeps it at that one statement; the price is that a
client may spend up to twice the limit across a window boundary, which is fine for an
abuse limit. The first request of a window also stamps the token's ``last_used_at`` and
drops the token's older windows, so the table holds at most one row per active token.

Health, the OpenAPI document and the token endpoint take no token and are never counted;
browser sessions are not counted either (people behind a browser are not the abuse case).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from classvault.core.exceptions import RateLimited

from .models import ApiToken, ApiTokenWindow

# Double-quoted names work on SQLite and PostgreSQL ("window" is reserved in PostgreSQL).
_COUNT_SQL = (
    'INSERT INTO "people_apitokenwindow" ("token_id", "window", "count") VALUES (%s, %s, 1) '
    'ON CONFLICT ("token_id", "window") '
    'DO UPDATE SET "count" = "people_apitokenwindow"."count" + 1 '
    'RETURNING "count"'
)


@dataclass(frozen=True)
class WindowCount:
    count: int
    limit: int
    retry_after: int


def _window(now: datetime) -> tuple[int, int]:
    """(window number, seconds until it ends) for ``now``."""
    length = max(1, settings.CLASSVAULT_API_RATE_WINDOW_SECONDS)
    epoch = int(now.timestamp())
    window = epoch // length
    return window, (window + 1) * length - epoch


def token_request_count(*, token: ApiToken, now: datetime) -> WindowCount:
    """Count one request of ``token`` in the current window; raise RateLimited past the limit.

    With ``CLASSVAULT_API_RATE_LIMIT`` 0 nothing is limited, but ``last_used_at`` is still kept
    to the window's precision.
    """
    limit = settings.CLASSVAULT_API_RATE_LIMIT
    window, retry_after = _window(now)
    if limit <= 0:
        length = settings.CLASSVAULT_API_RATE_WINDOW_SECONDS
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= length:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return WindowCount(count=0, limit=0, retry_after=retry_after)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, [token.pk, window])
        (count,) = cursor.fetchone()
        if count == 1:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            ApiTokenWindow.objects.filter(token_id=token.pk, window__lt=window).delete()
    if count > limit:
        raise RateLimited(
            _("Too many requests with this token. Try again in %(seconds)s seconds.")
            % {"seconds": retry_after},
            retry_after=retry_after,
        )
    return WindowCount(count=count, limit=limit, retry_after=retry_after)
