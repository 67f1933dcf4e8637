"""Public privacy statement pages, printable consent forms, and the school admin's and the
privacy officer's pupil pages: the roster, adding a pupil, registering a consent form or an
in-person withdrawal, importing a roster export."""

import base64
import binascii
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from classvault.core import clock
from classvault.core.exceptions import DomainError, Forbidden, NotVisible
from classvault.core.time import today_in_amsterdam
from classvault.people import selectors as people_selectors
from classvault.people.models import Role, User

from . import selectors, services
from .forms import ConsentForm, PupilForm, RosterForm, WithdrawalForm
from .roster import MAX_BYTES
from .rules import age_on, signer_required, sixteenth_birthday


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a selector; its domain errors become the page's 403 or 404."""
    try:
        return fn(**kwargs)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except DomainError as exc:
        raise Http404(exc.detail) from exc


def _require(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise PermissionDenied(_("Your role may not do this."))


def _refused(exc: DomainError) -> int:
    """The status a form page answers with when the service refused: 403 and 404 are
    whole-page answers; 409 and 422 re-render the form with the service's message."""
    if isinstance(exc, Forbidden):
        raise PermissionDenied(exc.detail) from exc
    if isinstance(exc, NotVisible):
        raise Http404(exc.detail) from exc
    return exc.status


def _statement_page(request: HttpRequest, statement) -> HttpResponse:
    current = selectors.statement_current()
    return render(
        request,
        "consent/privacy.html",
        {
            "statement": statement,
            "is_current": current is not None and statement.pk == current.pk,
            "current": current,
            "contacts": selectors.statement_contacts(statement),
            "versions": selectors.statement_versions(),
        },
    )


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy statement in force, its contacts and earlier versions (public, R15/R16)."""
    statement = selectors.statement_current()
    if statement is None:
        raise Http404("No privacy statement has been published yet.")
    return _statement_page(request, statement)


@require_GET
def privacy_version(request: HttpRequest, version: str) -> HttpResponse:
    return _statement_page(request, _call(selectors.statement_get, version=version))


@login_required
@require_GET
def consent_forms(request: HttpRequest, pupil_id: str | None = None) -> HttpResponse:
    """Printable consent forms, pre-filled: one pupil, a group, or the whole school."""
    now = clock.now()
    pupils = _call(
        selectors.pupils_for_forms,
        actor=request.user,
        school_code=request.GET.get("school"),
        group=request.GET.get("group"),
        pupil_id=pupil_id,
        missing=request.GET.get("missing") == "1",
        now=now,
    )
    today = today_in_amsterdam(now)
    statement = selectors.statement_current()
    return render(
        request,
        "consent/forms.html",
        {
            "forms": [(p, signer_required(p.date_of_birth, today)) for p in pupils],
            "group": request.GET.get("group", ""),
            "today": today,
            "statement": statement,
            "contacts": selectors.statement_contacts(statement) if statement else [],
            "privacy_url": request.build_absolute_uri(reverse("consent:privacy")),
        },
    )


@login_required
@require_GET
def pupils(request: HttpRequest) -> HttpResponse:
    """The roster of a school with each pupil's consent, in words and colour.

    The school admin and a student teacher see their own school; the privacy officer picks
    one (she registers withdrawals for every school's pupils).
    """
    group = request.GET.get("group", "").strip() or None
    now, code = clock.now(), request.GET.get("school")
    if request.user.role == Role.PRIVACY_OFFICER and not code:
        return render(
            request,
            "consent/pupils.html",
            {"schools": people_selectors.schools_all(), "pupils": None},
        )
    school = _call(selectors.roster_school, actor=request.user, school_code=code, now=now)
    return render(
        request,
        "consent/pupils.html",
        {
            "pupils": _call(
                selectors.pupils_list,
                actor=request.user,
                school_code=school.code,
                group=group,
                now=now,
            ),
            "group": group or "",
            "groups": selectors.school_groups(school=school),
            "school": school,
            "can_print": request.user.role == Role.SCHOOL_ADMIN,
            "can_manage": request.user.role in (Role.SCHOOL_ADMIN, Role.PRIVACY_OFFICER),
            "schools": (
                people_selectors.schools_all()
                if request.user.role == Role.PRIVACY_OFFICER
                else None
            ),
        },
    )


@login_required
@require_GET
def pupil_detail(request: HttpRequest, pupil_id: str) -> HttpResponse:
    """One pupil: current consent, the full history, and what can be registered."""
    pupil = _call(selectors.pupil_get_managed, actor=request.user, pupil_id=str(pupil_id))
    return render(
        request,
        "consent/pupil.html",
        {
            "pupil": pupil,
            "history": selectors.consent_history(pupil=pupil),
            "is_school_admin": request.user.role == Role.SCHOOL_ADMIN,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pupil_add(request: HttpRequest) -> HttpResponse:
    """Add one pupil to the roster of the school admin's own school."""
    _require(request.user, Role.SCHOOL_ADMIN)
    form, problem, status = PupilForm(request.POST or None), None, 200
    if request.method == "POST" and form.is_valid():
        try:
            pupil = services.pupil_create(
                actor=request.user,
                school_code=request.user.school.code,
                now=clock.now(),
                **form.cleaned_data,
            )
        except DomainError as exc:
            problem, status = exc.detail, _refused(exc)
        else:
            messages.success(
                request, _("%(name)s was added to the roster.") % {"name": pupil.full_name}
            )
            return redirect("consent:pupil", pupil_id=pupil.pk)
    elif request.method == "POST":
        status = 422
    return render(
        request, "consent/pupil_add.html", {"form": form, "problem": problem}, status=status
    )


def _signer_context(pupil, now) -> dict[str, Any]:
    today = today_in_amsterdam(now)
    return {
        "pupil": pupil,
        "today": today,
        "sixteen_on": sixteenth_birthday(pupil.date_of_birth),
        "signer_today": signer_required(pupil.date_of_birth, today),
        "age_today": age_on(pupil.date_of_birth, today),
    }


@login_required
@require_http_methods(["GET", "POST"])
def consent_give(request: HttpRequest, pupil_id: str) -> HttpResponse:
    """Register a signed consent form (school admin of the pupil's school only)."""
    _require(request.user, Role.SCHOOL_ADMIN)
    now = clock.now()
    pupil = _call(selectors.pupil_get_managed, actor=request.user, pupil_id=str(pupil_id))
    context = _signer_context(pupil, now)
    form = ConsentForm(
        request.POST or None,
        initial={
            "signed_on": context["today"],
            "given_by": context["signer_today"],
            "recording": pupil.recording_consent,
            "peer_viewing": pupil.peer_viewing_consent,
        },
    )
    problem, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_give(
                actor=request.user, pupil_id=str(pupil.pk), now=now, **form.cleaned_data
            )
        except DomainError as exc:
            problem, status = exc.detail, _refused(exc)
        else:
            messages.success(
                request,
                _("The consent form of %(name)s was registered.") % {"name": pupil.full_name},
            )
            return redirect("consent:pupil", pupil_id=pupil.pk)
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "consent/consent_give.html",
        {**context, "form": form, "problem": problem},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, pupil_id: str) -> HttpResponse:
    """Register a withdrawal made in person (R14): the school admin or the privacy officer."""
    _require(request.user, Role.SCHOOL_ADMIN, Role.PRIVACY_OFFICER)
    now = clock.now()
    pupil = _call(selectors.pupil_get_managed, actor=request.user, pupil_id=str(pupil_id))
    context = _signer_context(pupil, now)
    form = WithdrawalForm(
        request.POST or None, initial={"on": context["today"], "by": context["signer_today"]}
    )
    problem, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                actor=request.user, pupil_id=str(pupil.pk), now=now, **form.cleaned_data
            )
        except DomainError as exc:
            problem, status = exc.detail, _refused(exc)
        else:
            messages.success(
                request,
                _(
                    "The withdrawal for %(name)s was registered. Recordings "
                    "the pupil takes part in are blocked or their "
                    "screenings cancelled."
                )
                % {"name": pupil.full_name},
            )
            return redirect("consent:pupil", pupil_id=pupil.pk)
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "consent/consent_withdraw.html",
        {**context, "form": form, "problem": problem},
        status=status,
    )


# The preview page carries the file back for "import" (nothing is kept on the server in
# between); a body over Django's DATA_UPLOAD_MAX_MEMORY_SIZE would be refused, so a larger
# file is chosen again and imported at once.
CARRY_MAX_BYTES = 1536 * 1024


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    """Upload a roster export, see what it would do per row, then import it."""
    _require(request.user, Role.SCHOOL_ADMIN)
    # The file is read from request.FILES (or carried back); the form only renders the field.
    context: dict[str, Any] = {"form": RosterForm(), "max_mb": MAX_BYTES // (1024 * 1024)}
    status, apply = 200, request.POST.get("apply") == "1"
    if request.method != "POST":
        return render(request, "consent/roster_import.html", context)
    data = _roster_bytes(request)
    if data is None:
        context["problem"] = _("Choose the roster file to upload.")
        return render(request, "consent/roster_import.html", context, status=422)
    try:
        plan = services.pupils_import(
            actor=request.user,
            school_code=request.user.school.code,
            data=data,
            apply=apply,
            now=clock.now(),
        )
    except DomainError as exc:
        status = _refused(exc)
        context["problem"] = exc.detail
        if exc.extra.get("errors"):
            context["errors"] = exc.extra["errors"]
        return render(request, "consent/roster_import.html", context, status=status)
    if plan.applied:
        messages.success(
            request,
            _(
                "The roster was imported: %(create)d added, %(update)d "
                "changed, %(unchanged)d unchanged."
            )
            % {
                "create": plan.count("create"),
                "update": plan.count("update"),
                "unchanged": plan.count("unchanged"),
            },
        )
        return redirect("consent:pupils")
    carry = base64.b64encode(data).decode("ascii") if len(data) <= CARRY_MAX_BYTES else ""
    return render(
        request,
        "consent/roster_import.html",
        {
            **context,
            "plan": plan,
            "carry": carry,
            "summary": {a: plan.count(a) for a in ("create", "update", "unchanged")},
        },
    )


def _roster_bytes(request: HttpRequest) -> bytes | None:
    carried = request.POST.get("data")
    if carried:
        try:
            return base64.b64decode(carried, validate=True)
        except (binascii.Error, ValueError):
            return None
    upload = request.FILES.get("file")
    return upload.read(MAX_BYTES + 1) if upload is not None else None
