"""Request rate per API token: a fixed window counted in the database.

Why the database: the embedded default runs several gunicorn processes and no Redis, and a
per-process counter would let each process grant the full rate. One statement per bearer
request (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, SQLite 3.35+ and PostgreSQL)
counts atomically across processes, starts a new window when the old one is over, and
stamps the token's last use: one row per token, no clean-up, a constant one query per
request (the list endpoints' query budgets count it).

A fixed window (not a sliding one) keeps it at that one statement; the price is that a
client may spend up to twice the limit across a window boundary, which is fine for an
abuse limit. A request from a process whose clock lags (an older window) counts in the
current one.

Health, the OpenAPI document and the token endpoint take no token and are never counted;
browser sessions are not counted either (people behind a browser are not the abuse case).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from classvault.core.exceptions import RateLimited
from classvault.core.prepared import execute_planned_once

from .models import ApiToken

# Double-quoted names work on SQLite and PostgreSQL ("window" is reserved in PostgreSQL).
# In SET, every column reads the row as it was, so the CASEs see the old window.
_COUNT_SQL = (
    'INSERT INTO "people_apitokenusage" ("token_id", "window", "count", "last_used_at") '
    "VALUES (%s, %s, 1, %s) "
    'ON CONFLICT ("token_id") DO UPDATE SET '
    '"count" = CASE WHEN excluded."window" > "people_apitokenusage"."window" THEN 1 '
    'ELSE "people_apitokenusage"."count" + 1 END, '
    '"window" = CASE WHEN excluded."window" > "people_apitokenusage"."window" '
    'THEN excluded."window" ELSE "people_apitokenusage"."window" END, '
    '"last_used_at" = excluded."last_used_at" '
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
    """Count one request of ``token`` and stamp its last use; raise RateLimited past the
    limit. With ``CLASSVAULT_API_RATE_LIMIT`` 0 requests are counted but never refused."""
    limit = settings.CLASSVAULT_API_RATE_LIMIT
    window, retry_after = _window(now)
    # One statement, so autocommit makes it atomic without a transaction of its own.
    with connection.cursor() as cursor:
        execute_planned_once(
            cursor, _COUNT_SQL, [token.pk, window, connection.ops.adapt_datetimefield_value(now)]
        )
        (count,) = cursor.fetchone()
    if 0 < limit < count:
        raise RateLimited(
            _("Too many requests with this token. Try again in %(seconds)s seconds.")
            % {"seconds": retry_after},
            retry_after=retry_after,
        )
    return WindowCount(count=count, limit=limit, retry_after=retry_after)
