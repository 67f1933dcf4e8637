"""A locked database answers a friendly "busy, try again" page instead of a server error."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from classvault.core.busy import RETRY_AFTER, busy_json, is_database_busy


class DatabaseBusyMiddleware:
    """503 with Retry-After when a view failed on a locked database (see core.busy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_database_busy(exc):
            return None
        if request.path.startswith("/api/"):
            return busy_json(request)
        response = render(request, "web/busy.html", {"retry_after": RETRY_AFTER}, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
