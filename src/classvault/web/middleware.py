"""A locked database, or a lost connection to it, answers a friendly "busy, try again" page
instead of a server error."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from classvault.core.busy import RETRY_AFTER, busy_json, is_database_unavailable
from classvault.people import factors
from classvault.people.auth import second_factor_done


class DatabaseBusyMiddleware:
    """503 with Retry-After when a view failed on a busy database or lost its connection
    (see core.busy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exc):
            return None
        # The page asks nothing more of the database (context_processors.notifications).
        request.database_unavailable = True  # type: ignore[attr-defined]
        if request.path.startswith("/api/"):
            return busy_json(request)
        response = render(request, "web/busy.html", {"retry_after": RETRY_AFTER}, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response


class SecondFactorMiddleware:
    """A session that passed the password but not yet the second factor it needs reaches
    only the second-factor pages, logging out, the language switch, static files and the
    public pages; every other page sends it to enrolment or to the code page. The API's
    session authentication refuses such a session by itself (people/auth.py: 401)."""

    # Prefixes end at a path boundary: "/privacy" alone would also open "/privacy-office/".
    OPEN_PREFIXES = ("/static/", "/i18n/", "/api/", "/privacy/versions/")
    OPEN_EXACT = frozenset({"/favicon.ico", "/privacy"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.OPEN_PREFIXES)
            and request.path not in self.OPEN_EXACT
            and request.path not in self._open_paths()
            and not second_factor_done(request)
        ):
            enrolled = factors.factor_enrolled(user=user)
            target = reverse("web:factor_verify" if enrolled else "web:factor_enrol")
            if request.method == "GET":
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _open_paths() -> set[str]:
        return {
            reverse(name)
            for name in ("web:login", "web:logout", "web:factor_verify", "web:factor_enrol")
        }
