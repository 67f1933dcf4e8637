"""The account pages: your own password (everyone), a user's account (institute admin).

Thin: parse the form, call people.accounts, render. A password change keeps this browser's
session (update_session_auth_hash) and ends every other session and token of the person.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from classvault.core import clock
from classvault.core.exceptions import DomainError
from classvault.people import accounts
from classvault.people import selectors as people_selectors

from .institute_views import institute_admin_only


def _password_field(label: Any, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class PasswordForm(forms.Form):
    current_password = _password_field(gettext_lazy("Current password"), "current-password")
    new_password = _password_field(gettext_lazy("New password"), "new-password")
    repeat = _password_field(gettext_lazy("New password again"), "new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("new_password") != data.get("repeat"):
            raise forms.ValidationError(_("The two new passwords differ. Type them again."))
        return data


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST or None)
    status = 200 if not form.is_bound or form.is_valid() else 422
    if form.is_bound and form.is_valid():
        try:
            user = accounts.password_change(
                actor=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                channel="web",
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_error(None, exc.detail)
            status = exc.status
        else:
            update_session_auth_hash(request, user)
            messages.success(
                request,
                _("Your password has been changed. You were signed out everywhere else."),
            )
            return redirect("web:home")
    return render(request, "web/account_password.html", {"form": form}, status=status)


@institute_admin_only
def user_account(request: HttpRequest, username: str) -> HttpResponse:
    account = people_selectors.user_account(actor=request.user, username=username, now=clock.now())
    # "account", not "user": that name is the signed-in person in every template.
    return render(
        request,
        "web/institute/user_account.html",
        {
            "account": account["user"],
            "tokens": account["tokens"],
            "second_factor": account["second_factor"],
        },
    )


def _act(request: HttpRequest, username: str, action: Any, done: str) -> HttpResponse:
    try:
        action(actor=request.user, username=username, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("web:institute_user", username=username)


@institute_admin_only
@require_POST
def user_deactivate(request: HttpRequest, username: str) -> HttpResponse:
    return _act(
        request,
        username,
        accounts.user_deactivate,
        _("The account is deactivated: every session and API token has ended."),
    )


@institute_admin_only
@require_POST
def user_reactivate(request: HttpRequest, username: str) -> HttpResponse:
    return _act(
        request,
        username,
        accounts.user_reactivate,
        _("The account is active again. The person signs in anew."),
    )


@institute_admin_only
@require_POST
def user_factor_reset(request: HttpRequest, username: str) -> HttpResponse:
    return _act(
        request,
        username,
        accounts.user_factor_reset,
        _(
            "The second factor is reset: every session and API token has ended. The person "
            "sets up a new one at the next login."
        ),
    )


@institute_admin_only
@require_POST
def user_token_revoke(request: HttpRequest, username: str, token_id: int) -> HttpResponse:
    try:
        accounts.user_token_revoke(
            actor=request.user, username=username, token_id=token_id, now=clock.now()
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The API token is revoked."))
    return redirect("web:institute_user", username=username)
