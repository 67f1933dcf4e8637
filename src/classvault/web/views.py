"""Thin HTML views: parse the request, call one selector or service, render."""

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from classvault.core import clock
from classvault.core.exceptions import DomainError
from classvault.people import selectors as people_selectors
from classvault.people import services as people_services

from . import selectors
from .account_views import after_password, login_context


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    error = None
    if request.method == "POST":
        username = request.POST.get("username", "")
        user = authenticate(request, username=username, password=request.POST.get("password", ""))
        people_services.login_record(
            user=user, username=username, success=user is not None, channel="web", now=clock.now()
        )
        if user is not None:
            login(request, user)
            return after_password(request, next_url)
        error = _("Wrong username or password. Check both and try again.")
    status = 200 if error is None else 401
    return render(request, "web/login.html", login_context(error, next_url), status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = selectors.landing_for(user=request.user, now=clock.now())
    return render(request, f"web/home_{request.user.role}.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def guidelines(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            people_services.guidelines_acknowledge(actor=request.user, now=clock.now())
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Thank you: you accepted the recording guidelines."))
            return redirect("web:home")
    return render(
        request,
        "web/guidelines.html",
        {
            "guidelines": people_selectors.guidelines_current(),
            "accepted": people_selectors.guidelines_accepted(user=request.user),
        },
    )
