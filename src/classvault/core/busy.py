"""A busy database is a "try again shortly" (503 with Retry-After), not an error (500).

Busy means the database refused this transaction for the sake of another one, and the
same request, sent again, will succeed:

- SQLite: one process writes at a time; a writer waits up to the busy timeout (settings:
  ``timeout``) for the lock, then fails with "database is locked". Long writes are cut into
  short transactions (the roster import applies in batches), so waiting that long means
  something unusual holds the lock.
- PostgreSQL: a deadlock (SQLSTATE 40P01) or a serialization failure (40001) aborts one of
  the transactions involved. Every transaction takes its locks in one order, the audit head
  last (``audit_record``), so a deadlock should not happen; should one still occur, the
  victim is told to retry instead of seeing a server error.

The person should retry, and nothing about it is a bug to log as one. The worker treats it
the same way: a transcode that met it is tried again without counting a failed attempt.
"""

import logging

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger("classvault.busy")

RETRY_AFTER = 5  # seconds

# PostgreSQL's "try the transaction again" errors: deadlock_detected, serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is a transient refusal: SQLite locked, a PostgreSQL deadlock or
    serialization failure (psycopg's error is the ``__cause__`` of Django's)."""
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return bool(exc.args) and isinstance(exc.args[0], str) and "is locked" in exc.args[0].lower()


def busy_json(request: HttpRequest) -> HttpResponse:
    log.warning("The database was busy; %s %s answered 503.", request.method, request.path)
    response = JsonResponse(
        {"detail": _("The service is busy. Try again in a few seconds.")}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER)
    return response
