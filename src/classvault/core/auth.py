"""Bearer-token authentication for the API."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from classvault.core import clock


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        from classvault.people.services import token_authenticate

        api_token = token_authenticate(raw=token, now=clock.now())
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user
