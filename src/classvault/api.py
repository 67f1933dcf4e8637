"""The one NinjaAPI at /api/v1: a router per app; every error is {"detail": ...}."""

import logging

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from classvault.audit.api import router as audit_router
from classvault.consent.api import router as consent_router
from classvault.core import clock
from classvault.core import health as core_health
from classvault.core.busy import busy_json, is_database_unavailable
from classvault.core.exceptions import DomainError, RateLimited
from classvault.core.schemas import HealthDetailOut
from classvault.people.api import auth_router, me_router, org_router
from classvault.people.auth import BearerToken, SessionCookie
from classvault.people.models import Role
from classvault.people.services import require_role
from classvault.recordings.api import router as recordings_router
from classvault.redaction.api import router as redaction_router
from classvault.retention.api import router as retention_router
from classvault.rights.api import router as rights_router
from classvault.sharing.api import router as sharing_router
from classvault.vault.exceptions import KeyDestroyed, VaultIntegrityError, VaultNotFound

log = logging.getLogger("classvault.api")

# Every error answer: {"detail": "..."} and, for some, more fields (the pupils without
# consent, the validation errors, seconds to wait).
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": True,
}
_ERROR_TEXT = {
    "401": "Not authenticated: no, an expired or a revoked bearer token.",
    "403": "Your role may never do this.",
    "404": "It does not exist, or it is not visible to you.",
    "409": "Conflicts with consent, legal hold or state.",
    "413": "The request is too large.",
    "416": "The range is outside the recording.",
    "422": "Invalid input.",
    "429": "Too many requests with this token; retry after the seconds in Retry-After.",
}
_UNSAFE = {"post", "put", "patch", "delete"}
_WITH_BODY = {"post", "put", "patch"}


def _documented_errors(method: str, path: str, secured: bool) -> set[str]:
    """The error codes an operation can answer, from the contract's general rules.

    Any input may be refused (422: the input guard reads every path and query string).
    With a token: 401 without a good one, 429 past its rate, 403 for a role that may never
    do this, 409 for a change that conflicts. A path with an id: 404 when it is not there
    or not visible. A request with a body: 413 when it is over the size limit (uploads, or
    any other body over the server's limit for forms and JSON).
    """
    codes = {"422"}
    if method in _WITH_BODY:
        codes.add("413")
    if secured:
        codes |= {"401", "403", "429"}
    if "{" in path:
        codes.add("404")
    if secured and method in _UNSAFE:
        codes.add("409")
    return codes


class ClassVaultApi(NinjaAPI):
    """The NinjaAPI whose OpenAPI document lists the error answers of every operation.

    Ninja documents only the codes an endpoint declares; the rest of the contract's codes
    come from middleware, authentication and domain errors. Fuzzing (schemathesis) holds
    every response to the document, so each operation lists what it can answer.
    """

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"].setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                codes = _documented_errors(method, path, bool(operation.get("security")))
                codes |= {str(code) for code in responses if int(code) >= 400}
                for code in sorted(codes):
                    entry = {
                        "description": _ERROR_TEXT.get(code, "Error"),
                        "content": {"application/json": {"schema": ref}},
                    }
                    if code == "429":
                        entry["headers"] = {
                            "Retry-After": {
                                "description": "Seconds until the token's window ends.",
                                "schema": {"type": "integer"},
                            }
                        }
                    responses.pop(int(code), None)
                    responses[code] = entry
        return schema


api = ClassVaultApi(
    title="ClassVault API",
    version="1",
    description="The public contract of ClassVault (v1). Every endpoint but health, "
    "the token endpoint and these documents needs `Authorization: Bearer <token>`.",
    # Bearer tokens for systems; the session cookie for the web pages (player, upload),
    # with Django's CSRF check on every unsafe method.
    auth=[BearerToken(), SessionCookie()],
    urls_namespace="api",
)


class Health(Schema):
    status: str


@api.get("/health", auth=None, response=Health, tags=["health"])
def health(request: HttpRequest):
    return {"status": "ok"}


@api.get("/health/detail", response=HealthDetailOut, tags=["health"])
def health_detail(request: HttpRequest):
    """Database, blob store, background worker and job queue (privacy officer, institute
    admin). The storage is probed with one real request (a listing of at most one key)."""
    require_role(request.auth, Role.PRIVACY_OFFICER, Role.INSTITUTE_ADMIN)
    return HealthDetailOut.of(core_health.health_detail(now=clock.now()))


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.detail, **exc.extra}, status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(VaultNotFound)
@api.exception_handler(KeyDestroyed)
def vault_not_found(request: HttpRequest, exc: VaultNotFound | KeyDestroyed) -> HttpResponse:
    # KeyDestroyed: the recording was deleted (its key shredded) while this request ran.
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(VaultIntegrityError)
def vault_damaged(request: HttpRequest, exc: VaultIntegrityError) -> HttpResponse:
    log.error("Refused to serve a damaged vault object at %s: %s", request.path, exc)
    return api.create_response(
        request,
        {
            "detail": "The stored recording failed its integrity check and is not "
            "served. The administrators have been alerted."
        },
        status=500,
    )


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    parts = []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload"))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return api.create_response(
        request,
        {"detail": "; ".join(parts) or "Invalid input.", "errors": exc.errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": "Not authenticated."}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        # Ninja's answer to a body that is no JSON; the contract says bad input is 422.
        return api.create_response(
            request, {"detail": "The request body is not valid JSON."}, status=422
        )
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(OperationalError)
def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    if not is_database_unavailable(exc):
        raise exc
    return busy_json(request)


api.add_router("/auth", auth_router)
api.add_router("/", org_router)
api.add_router("/me", me_router)
api.add_router("/audit", audit_router)
api.add_router("/", consent_router)
api.add_router("/", recordings_router)
api.add_router("/", sharing_router)
api.add_router("/", retention_router)
api.add_router("/", rights_router)
api.add_router("/", redaction_router)
