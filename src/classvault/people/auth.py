"""Authentication for the API: bearer tokens for systems, the session for the web pages."""

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from classvault.core import clock

from .factors import SSO_FACTOR_SESSION_KEY, factor_needed
from .ratelimit import token_request_count
from .services import token_authenticate


def second_factor_done(request: HttpRequest) -> bool:
    """Whether this logged-in session may be used: it passed the second factor (django-otp),
    its single sign-on's provider vouched for one, or the person needs none."""
    user = request.user
    if user.is_verified() if hasattr(user, "is_verified") else False:
        return True
    if request.session.get(SSO_FACTOR_SESSION_KEY):
        return True
    return not factor_needed(user=user)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        api_token = token_authenticate(raw=token, now=clock.now())
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]
        # Counted only once the token is known good: a wrong token costs no write. Past the
        # limit this raises RateLimited, which the API answers 429 with Retry-After.
        token_request_count(token=api_token, now=clock.now())
        return api_token.user


class SessionCookie(SessionAuth):
    """The web pages' login session, with Django's CSRF check on unsafe methods.

    Ninja's own session auth checks CSRF first, so a call without any valid credentials got
    403 "CSRF check failed" instead of 401. Here a request without a logged-in session is
    simply not authenticated (401); only a real session is held to the CSRF check (403).
    A session still waiting for its second factor is not authenticated either.
    """

    def __call__(self, request: HttpRequest):
        if not request.user.is_authenticated or not second_factor_done(request):
            return None
        return super().__call__(request)
