"""Authentication, organisation and the caller's own account."""

from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Status

from classvault.core import clock
from classvault.core.exceptions import Conflict

from . import accounts, factors, selectors, services
from .schemas import (
    AccountOut,
    AcknowledgementOut,
    EnrolmentIn,
    EnrolmentOut,
    GuidelinesIn,
    GuidelinesOut,
    MeOut,
    PasswordChangeIn,
    SchoolIn,
    SchoolOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)

auth_router = Router(tags=["auth"])
org_router = Router(tags=["organisation"])
me_router = Router(tags=["me"])

Error = dict[str, str]


@auth_router.post("/token", auth=None, response={200: TokenOut, 401: Error, 403: Error, 429: Error})
def token_create(request: HttpRequest, payload: TokenIn):
    """Exchange a username and password (and, where needed, a second-factor code) for a token.

    401: wrong username or password, or a second-factor code is needed (``otp``) and missing
    or wrong. 403: this role needs a second factor and none is set up yet (set one up on the
    web pages first). 429: too many failed logins for this account or address; try again
    after the cool-off."""
    now = clock.now()
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        services.login_record(
            user=None, username=payload.username, success=False, channel="api", now=now
        )
        return Status(401, {"detail": "Wrong username or password."})
    if factors.factor_needed(user=user):
        if not factors.factor_enrolled(user=user):
            return Status(
                403,
                {
                    "detail": _(
                        "Your role needs a second factor. Log in on the web pages once to "
                        "set up an authenticator app, then ask for a token with its code."
                    )
                },
            )
        if not payload.otp:
            return Status(
                401,
                {
                    "detail": _(
                        "This account needs a second factor: send the 6-digit code of your "
                        'authenticator app (or a recovery code) as "otp".'
                    )
                },
            )
        if factors.factor_verify(user=user, code=payload.otp, now=now) is None:
            return Status(401, {"detail": _("Wrong or already used second-factor code.")})
    issued = services.token_issue(user=user, now=now)
    return Status(200, {"token": issued.raw, "expires_at": issued.token.expires_at})


@auth_router.delete("/token", response={204: None})
def token_delete(request: HttpRequest):
    """Revoke the token this request was made with (log out); with a session, end it."""
    token = getattr(request, "api_token", None)
    if token is not None:
        services.token_revoke(token=token, now=clock.now())
    else:
        logout(request)
    return Status(204, None)


@org_router.post("/schools", response={201: SchoolOut})
def school_create(request: HttpRequest, payload: SchoolIn):
    school = services.school_create(
        actor=request.auth, code=payload.code, name=payload.name, now=clock.now()
    )
    return Status(201, school)


@org_router.post("/users", response={201: UserOut})
def user_create(request: HttpRequest, payload: UserIn):
    user = services.user_create(
        actor=request.auth,
        username=payload.username,
        password=payload.password,
        role=payload.role,
        full_name=payload.full_name,
        email=payload.email or "",
        school_code=payload.school,
        now=clock.now(),
    )
    return Status(201, user)


def _account(request: HttpRequest, username: str) -> dict:
    account = selectors.user_account(actor=request.auth, username=username, now=clock.now())
    user = account["user"]
    return {
        "username": user.username,
        "role": user.role,
        "full_name": user.full_name,
        "school": user.school.code if user.school else None,
        "is_active": user.is_active,
        "deactivated_at": user.deactivated_at,
        "last_login": user.last_login,
        "second_factor": account["second_factor"],
        "tokens": account["tokens"],
    }


@org_router.get("/users/{username}", response={200: AccountOut, 403: Error, 404: Error})
def user_account(request: HttpRequest, username: str):
    """A user's account: active or not, last login, API tokens in force (institute admin)."""
    return _account(request, username)


@org_router.post(
    "/users/{username}/deactivate", response={200: AccountOut, 403: Error, 404: Error, 409: Error}
)
def user_deactivate(request: HttpRequest, username: str):
    """End the account: every session and token ends at once; recordings follow retention."""
    accounts.user_deactivate(actor=request.auth, username=username, now=clock.now())
    return _account(request, username)


@org_router.delete(
    "/users/{username}/second-factor",
    response={200: AccountOut, 403: Error, 404: Error, 409: Error},
)
def user_factor_reset(request: HttpRequest, username: str):
    """Reset a user's lost second factor: authenticator and recovery codes removed, every
    session and token ended; a role that needs one enrols again at the next login. 409 for
    your own, or for someone without a second factor."""
    accounts.user_factor_reset(actor=request.auth, username=username, now=clock.now())
    return _account(request, username)


@org_router.post(
    "/users/{username}/reactivate", response={200: AccountOut, 403: Error, 404: Error, 409: Error}
)
def user_reactivate(request: HttpRequest, username: str):
    """Let the person sign in again (old sessions and tokens stay ended)."""
    accounts.user_reactivate(actor=request.auth, username=username, now=clock.now())
    return _account(request, username)


@org_router.delete(
    "/users/{username}/tokens/{token_id}", response={204: None, 403: Error, 404: Error}
)
def user_token_revoke(
    request: HttpRequest, username: str, token_id: int = Path(..., ge=1, le=2**63 - 1)
):
    """Revoke one API token of a user (institute admin)."""
    accounts.user_token_revoke(
        actor=request.auth, username=username, token_id=token_id, now=clock.now()
    )
    return Status(204, None)


@org_router.put("/student-teachers/{username}", response=EnrolmentOut)
def enrolment_set(request: HttpRequest, username: str, payload: EnrolmentIn):
    enrolment = services.enrolment_set(
        actor=request.auth,
        username=username,
        school_code=payload.school,
        study_end=payload.study_end,
        trainers=payload.trainers,
        supervisors=payload.supervisors,
        now=clock.now(),
    )
    return {
        "username": username,
        "school": enrolment.school.code,
        "study_end": enrolment.study_end,
        "trainers": sorted(u.username for u in enrolment.trainers.all()),
        "supervisors": sorted(u.username for u in enrolment.supervisors.all()),
    }


@org_router.get("/guidelines", response={200: GuidelinesOut, 409: Error})
def guidelines_get(request: HttpRequest):
    """The current recording guidelines and step plan."""
    current = selectors.guidelines_current()
    if current is None:
        raise Conflict(_("No recording guidelines have been published yet."))
    return current


@org_router.post("/guidelines", response={201: GuidelinesOut})
def guidelines_publish(request: HttpRequest, payload: GuidelinesIn):
    return Status(
        201,
        services.guidelines_publish(
            actor=request.auth, version=payload.version, text=payload.text, now=clock.now()
        ),
    )


@me_router.get("", response=MeOut)
def me(request: HttpRequest):
    user = request.auth
    return {
        "username": user.username,
        "role": user.role,
        "full_name": user.full_name,
        "school": user.school.code if user.school else None,
        "guidelines_accepted": selectors.guidelines_accepted(user=user),
    }


@me_router.post("/password", response={204: None, 422: Error})
def password_change(request: HttpRequest, payload: PasswordChangeIn):
    """Change your password: every other session and API token of yours ends."""
    user = accounts.password_change(
        actor=request.auth,
        current_password=payload.current_password,
        new_password=payload.new_password,
        keep_token=getattr(request, "api_token", None),
        channel="api",
        now=clock.now(),
    )
    if getattr(request, "api_token", None) is None:
        update_session_auth_hash(request, user)  # the session it was made with stays
    return Status(204, None)


@me_router.post("/guidelines", response=AcknowledgementOut)
def guidelines_acknowledge(request: HttpRequest):
    """Acknowledge the current recording guidelines (R1)."""
    ack = services.guidelines_acknowledge(actor=request.auth, now=clock.now())
    return {"version": ack.version.version, "acknowledged_at": ack.acknowledged_at}
