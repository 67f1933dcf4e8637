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

A lost connection is answered the same way (:func:`is_database_unreachable`): PostgreSQL
ended the session under a request (an administrator's ``pg_terminate_backend``, a restart,
a failover) or is starting up. The request's transaction is gone with it; Django closes the
broken connection when the request ends, and the next request opens a new one.
"""

import logging

import psycopg
from django.db import OperationalError, connection
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


# PostgreSQL's "the session is gone" errors: admin_shutdown, crash_shutdown,
# cannot_connect_now; and class 08, connection_exception.
UNREACHABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def is_database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` is the database connection lost under the request: the server ended
    the session, or psycopg found the connection already closed (no SQLSTATE then)."""
    cause = exc.__cause__
    if not (isinstance(exc, OperationalError) and isinstance(cause, psycopg.OperationalError)):
        return False
    if cause.sqlstate is not None:
        return cause.sqlstate in UNREACHABLE_SQLSTATES or cause.sqlstate.startswith("08")
    raw = connection.connection
    return raw is None or bool(getattr(raw, "closed", False) or getattr(raw, "broken", False))


def is_database_unavailable(exc: BaseException) -> bool:
    """Busy or unreachable: the same request, sent again shortly, is expected to succeed."""
    return is_database_busy(exc) or is_database_unreachable(exc)


def busy_json(request: HttpRequest) -> HttpResponse:
    log.warning(
        "The database was busy or its connection was lost; %s %s answered 503.",
        request.method,
        request.path,
    )
    response = JsonResponse(
        {"detail": _("The service is busy. Try again in a few seconds.")}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER)
    return response
