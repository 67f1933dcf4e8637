"""Institutional login: OpenID Connect with the institution's provider (e.g. SURFconext).

authlib does the protocol (discovery, state, nonce, code exchange, ID-token signature and
claims checks); people/sso.py decides who the identity is in ClassVault. A refused identity
gets a Dutch page that says what to do (ask the institute admin), never a login.
"""

import logging

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from classvault.core import clock
from classvault.people import services as people_services
from classvault.people import sso
from classvault.people.factors import SSO_FACTOR_SESSION_KEY

from .account_views import _next, after_password

log = logging.getLogger(__name__)
NEXT_SESSION_KEY = "classvault_sso_next"
_clients: dict[tuple, object] = {}


def _client():
    """The provider's client, built from the settings (and cached per configuration)."""
    if not (settings.CLASSVAULT_OIDC_DISCOVERY_URL and settings.CLASSVAULT_OIDC_CLIENT_ID):
        raise Http404
    config = (
        settings.CLASSVAULT_OIDC_DISCOVERY_URL,
        settings.CLASSVAULT_OIDC_CLIENT_ID,
        settings.CLASSVAULT_OIDC_CLIENT_SECRET,
        settings.CLASSVAULT_OIDC_SCOPES,
    )
    if config not in _clients:
        oauth = OAuth()
        _clients[config] = oauth.register(
            "institution",
            server_metadata_url=config[0],
            client_id=config[1],
            client_secret=config[2],
            client_kwargs={"scope": config[3], "timeout": 10},
        )
    return _clients[config]


@require_GET
def sso_login(request: HttpRequest) -> HttpResponse:
    """Send the browser to the institution's login."""
    client = _client()
    request.session[NEXT_SESSION_KEY] = _next(request)
    extra = {}
    if settings.CLASSVAULT_OIDC_MFA_CLAIM == "acr" and settings.CLASSVAULT_OIDC_MFA_VALUES:
        extra["acr_values"] = " ".join(settings.CLASSVAULT_OIDC_MFA_VALUES)
    try:
        return client.authorize_redirect(
            request, request.build_absolute_uri(reverse("web:sso_callback")), **extra
        )
    except (OAuthError, OSError, ValueError) as exc:
        log.warning("institutional login unavailable: %s", exc)
        return _refused(request, "unavailable")


@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back: check its answer, find the user, log in."""
    client = _client()
    try:
        token = client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if client.load_server_metadata().get("userinfo_endpoint"):
            # The ID token may carry only the subject; the rest comes from userinfo.
            extra = client.userinfo(token=token)
            if extra.get("sub") == claims.get("sub"):
                claims = {**extra, **claims}
    except (OAuthError, OSError, ValueError, KeyError) as exc:
        log.warning("institutional login failed: %s", exc)
        return _refused(request, "failed")
    now = clock.now()
    try:
        user = sso.sso_user_for(issuer=str(claims.get("iss", "")), claims=claims, now=now)
    except sso.SsoRefused as exc:
        log.info("institutional login refused (%s)", exc)
        return _refused(request, "unknown")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if sso.sso_factor_vouched(claims=claims):
        request.session[SSO_FACTOR_SESSION_KEY] = True
    people_services.login_record(
        user=user, username=user.username, success=True, channel="sso", now=now
    )
    return after_password(request, request.session.pop(NEXT_SESSION_KEY, ""))


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "web/account/sso_refused.html",
        {"reason": reason, "sso_label": settings.CLASSVAULT_OIDC_LABEL},
        status=403 if reason == "unknown" else 502,
    )
