"""Authentication, organisation and the caller's own account."""

from django.contrib.auth import authenticate, logout
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from classvault.core import clock
from classvault.core.exceptions import Conflict

from . import factors, selectors, services
from .schemas import (
    AcknowledgementOut,
    EnrolmentIn,
    EnrolmentOut,
    GuidelinesIn,
    GuidelinesOut,
    MeOut,
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


@org_router.get("/guidelines", response=GuidelinesOut)
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


@me_router.post("/guidelines", response=AcknowledgementOut)
def guidelines_acknowledge(request: HttpRequest):
    """Acknowledge the current recording guidelines (R1)."""
    ack = services.guidelines_acknowledge(actor=request.auth, now=clock.now())
    return {"version": ack.version.version, "acknowledged_at": ack.acknowledged_at}
