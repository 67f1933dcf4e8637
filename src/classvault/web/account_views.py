"""Logging in beyond the password: the second factor, its enrolment, and the lockout page.

The login view (views.py) checks the password; a person who needs a second factor
(people/factors.py) then lands here: enrolment when they have none yet (privacy officers,
institute admins and trainers must), else the code page. SecondFactorMiddleware
(web/middleware.py) keeps every other page closed until then.
"""

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from classvault.core import clock
from classvault.people import factors
from classvault.people.auth import second_factor_done


def _next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return ""
    return next_url


def after_password(request: HttpRequest, next_url: str) -> HttpResponse:
    """Where a freshly logged-in person goes: their page, or the second factor first."""
    if second_factor_done(request):
        return redirect(next_url or "web:home")
    target = (
        "web:factor_verify" if factors.factor_enrolled(user=request.user) else "web:factor_enrol"
    )
    response = redirect(target)
    if next_url:
        response["Location"] += "?" + urlencode({"next": next_url})
    return response


def login_context(error: str | None, next_url: str) -> dict:
    """The login page's context: with the institution's login button when SSO is set up."""
    return {
        "error": error,
        "next": next_url,
        "sso": bool(settings.CLASSVAULT_OIDC_DISCOVERY_URL and settings.CLASSVAULT_OIDC_CLIENT_ID),
        "sso_label": settings.CLASSVAULT_OIDC_LABEL,
    }


@login_required
@require_http_methods(["GET", "POST"])
def factor_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator's code (or a recovery code)."""
    next_url = _next(request)
    if not factors.factor_enrolled(user=request.user):
        return redirect("web:factor_enrol")
    if second_factor_done(request) and request.method == "GET":
        return redirect(next_url or "web:home")
    error = None
    if request.method == "POST":
        device = factors.factor_verify(
            user=request.user, code=request.POST.get("code", ""), now=clock.now()
        )
        if device is not None:
            django_otp.login(request, device)
            return redirect(next_url or "web:home")
        error = _("That code is wrong or was used already. Type the current code of your app.")
    status = 200 if error is None else 401
    return render(
        request, "web/account/factor_verify.html", {"error": error, "next": next_url}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: QR code (inline SVG), its key, one code to confirm."""
    next_url = _next(request)
    if factors.factor_enrolled(user=request.user) and not request.user.is_verified():
        # Replacing a factor needs the old one (or a recovery code) first.
        return redirect("web:factor_verify")
    device = factors.factor_pending_device(user=request.user)
    error = None
    if request.method == "POST":
        enrolment = factors.factor_enrol_confirm(
            actor=request.user, code=request.POST.get("code", ""), now=clock.now()
        )
        if enrolment is not None:
            django_otp.login(request, enrolment.device)
            return render(
                request,
                "web/account/recovery_codes.html",
                {"codes": enrolment.recovery_codes, "next": next_url},
            )
        error = _("That code is wrong. Type the 6 digits your app shows now.")
    context = {
        "qr_svg": factors.factor_qr_svg(device=device),
        "secret": factors.factor_secret(device=device),
        "required": factors.factor_required(user=request.user),
        "enrolled": factors.factor_enrolled(user=request.user),
        "error": error,
        "next": next_url,
    }
    return render(
        request, "web/account/factor_enrol.html", context, status=200 if error is None else 422
    )


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    """New recovery codes for an enrolled person, for a current code of their app."""
    if not factors.factor_enrolled(user=request.user):
        return redirect("web:factor_enrol")
    error = None
    if request.method == "POST":
        codes = factors.recovery_codes_renew(
            actor=request.user, code=request.POST.get("code", ""), now=clock.now()
        )
        if codes is not None:
            return render(
                request, "web/account/recovery_codes.html", {"codes": codes, "renewed": True}
            )
        error = _("That code is wrong or was used already. Type the current code of your app.")
    return render(
        request,
        "web/account/recovery_codes_renew.html",
        {"error": error},
        status=200 if error is None else 422,
    )


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 for the API (JSON) and for the login page."""
    detail = _(
        "Too many failed logins for this account or from this address. Try again in "
        "%(minutes)d minutes, or ask your institute's administrator to lift the lock."
    ) % {"minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=429)
    return render(request, "web/login.html", login_context(detail, ""), status=429)
