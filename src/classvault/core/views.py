"""Error pages: JSON under /api/, Dutch HTML in the site's layout elsewhere.

The 404 and 403 pages render with the request (the menu knows who is logged in). The 400
and 500 pages render without it: a 500 may come from a database that is down, and a 400
from a host that is not allowed, so they read neither the session nor the database.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
    JsonResponse,
)
from django.template import loader
from django.utils.translation import gettext as _

from .middleware import api_error_detail


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page(template: str, context: dict | None = None, request: HttpRequest | None = None) -> str:
    return loader.render_to_string(template, context or {}, request=request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400s: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413 under /api), too many
    fields (DATA_UPLOAD_MAX_NUMBER_FIELDS), a host that is not allowed, other suspicious
    requests."""
    if not _is_api(request):
        return HttpResponseBadRequest(_page("400.html"))
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(
            {"detail": _("The request body is larger than this endpoint accepts; send less.")},
            status=413,
        )
    return JsonResponse({"detail": api_error_detail(400)}, status=400)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": api_error_detail(403)}, status=403)
    # A domain refusal (core.exceptions.Forbidden) carries a translated reason; say it.
    detail = exception.args[0] if exception.args and isinstance(exception.args[0], str) else ""
    return HttpResponseForbidden(_page("403.html", {"detail": detail}, request))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token: mostly a page left open past the session."""
    if _is_api(request):
        return JsonResponse({"detail": api_error_detail(403)}, status=403)
    detail = _("The form had expired. Go back, reload the page and send it again.")
    return HttpResponseForbidden(_page("403.html", {"detail": detail}, request))


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return HttpResponseNotFound(_page("404.html", {}, request))


def error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Internal error; it has been logged."}, status=500)
    return HttpResponseServerError(_page("500.html"))
