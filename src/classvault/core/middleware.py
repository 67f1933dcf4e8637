"""Security headers Django does not set by itself; the input guard; JSON errors under /api."""

import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.template import loader
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from .exceptions import Forbidden, NotVisible
from .validation import text_problem

# A closed system serves every asset itself: nothing may load from elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self)")
        # Nearly every page and API answer carries personal data (pupils, consent, who saw
        # what): no browser or proxy may keep a copy. Static files never get here (WhiteNoise
        # answers them earlier, cacheable); a response that chose its own policy keeps it.
        response.headers.setdefault("Cache-Control", "no-store")
        return response


class DutchFirstLocaleMiddleware:
    """Dutch unless the person chose another language (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many school
    laptops are set to English; the product speaks Dutch first and English on request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


# A JSON escape that may spell NUL or a surrogate; only then is the body read closer.
_SUSPECT_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F])")


def request_text_problem(request: HttpRequest) -> str | None:
    """Why text in the path, query string, form fields or JSON body is refused (a NUL, a
    lone surrogate: see core/validation.py); None when there is nothing to refuse."""
    problem = text_problem(request.path_info) or text_problem(request.GET)
    if problem:
        return problem
    content_type = request.content_type or ""
    if not _is_api(request):
        # The pages take small forms (Django's CSRF check reads them anyway), never uploads.
        return text_problem(request.POST) if request.method == "POST" else None
    if content_type.startswith("multipart/") or content_type == "application/octet-stream":
        return None  # an upload: its handler streams it; the endpoint checks its fields
    if content_type == "application/x-www-form-urlencoded":
        return text_problem(request.POST)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    # The API reads any other body as JSON. A raw NUL is no valid JSON (the parser refuses
    # it), nor is a raw surrogate valid UTF-8; their escapes (\u0000, \ud800) are, so look
    # closer only when one occurs.
    body = request.body
    if not _SUSPECT_ESCAPE.search(body):
        return None
    try:
        return text_problem(json.loads(body))
    except (ValueError, RecursionError):
        return None  # not JSON: the endpoint answers that itself


class InputGuardMiddleware:
    """Refuse NUL characters and lone surrogates before any view sees them: 422 under /api,
    400 elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = request_text_problem(request)
        if problem:
            if _is_api(request):
                return JsonResponse({"detail": problem}, status=422)
            # The 400 page without the request: no view, session or user has run yet.
            return HttpResponseBadRequest(loader.render_to_string("400.html", {"detail": problem}))
        return self.get_response(request)


def api_error_detail(status: int) -> str:
    return {
        400: _("The request is malformed."),
        401: _("Not authenticated."),
        403: _("You may not do this."),
        404: _("Not found."),
        405: _("This method is not allowed here; the Allow header lists those that are."),
        413: _("The request is too large."),
        500: _("Internal error; it has been logged."),
    }.get(status, _("The request failed (HTTP %(status)s).") % {"status": status})


class ApiJsonErrorsMiddleware:
    """Every failure under /api answers ``{"detail": ...}``, whoever produced it.

    The API's own errors are JSON already; this catches the rest: Django's 400 pages (a
    body over the size or field limits, an unknown host), a 405 for a wrong method, a
    CSRF refusal, an empty 416 from the stream. Headers such as Allow, WWW-Authenticate and
    Content-Range are kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not _is_api(request)
            or response.status_code < 400
            or response.streaming
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        replacement = JsonResponse(
            {"detail": api_error_detail(response.status_code)}, status=response.status_code
        )
        for header, value in response.headers.items():
            if header.lower() not in ("content-type", "content-length"):
                replacement.headers[header] = value
        for cookie in response.cookies.values():
            replacement.cookies[cookie.key] = cookie
        return replacement


class DomainErrorPagesMiddleware:
    """On the web pages, a domain error nobody handled is a whole-page answer: NotVisible
    the 404 page, Forbidden the 403 page (the API maps them to JSON itself).

    One mapping for every view: a view catches only the refusals it shows on its own page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if _is_api(request):
            return
        if isinstance(exception, NotVisible):
            raise Http404(exception.detail) from exception
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.detail) from exception
