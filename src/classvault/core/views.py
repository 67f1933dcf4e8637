"""Error pages: JSON under /api/, HTML elsewhere."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import bad_request as html_bad_request
from django.views.defaults import page_not_found, permission_denied, server_error

from .middleware import api_error_detail


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400s: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413 under /api), too many
    fields (DATA_UPLOAD_MAX_NUMBER_FIELDS), a host that is not allowed, other suspicious
    requests."""
    if not _is_api(request):
        return html_bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"detail": _("The request body is larger than this endpoint "
                                         "accepts; send less.")}, status=413)
    return JsonResponse({"detail": api_error_detail(400)}, status=400)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": api_error_detail(403)}, status=403)
    return permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Internal error; it has been logged."}, status=500)
    return server_error(request)
