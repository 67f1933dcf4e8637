"""A locked database is a "try again shortly" (503 with Retry-After), not an error (500).

On SQLite one process writes at a time; a writer waits up to the busy timeout (settings:
``timeout``) for the lock. Long writes are cut into short transactions (the roster import
applies in batches), so waiting that long means something unusual holds the lock: the
person should retry, and nothing about it is a bug to log as one.
"""

import logging

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger("classvault.busy")

RETRY_AFTER = 5  # seconds


def is_database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database was locked by another writer (SQLite)."""
    return (isinstance(exc, OperationalError) and bool(exc.args)
            and isinstance(exc.args[0], str) and "is locked" in exc.args[0].lower())


def busy_json(request: HttpRequest) -> HttpResponse:
    log.warning("The database was locked; %s %s answered 503.", request.method, request.path)
    response = JsonResponse({"detail": _("The service is busy. Try again in a few seconds.")},
                            status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
