"""Public privacy statement pages, printable consent forms and the school's roster page."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from classvault.core import clock
from classvault.core.exceptions import DomainError, Forbidden
from classvault.core.time import today_in_amsterdam
from classvault.people.models import Role

from . import selectors
from .rules import signer_required


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a selector; its domain errors become the page's 403 or 404."""
    try:
        return fn(**kwargs)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except DomainError as exc:
        raise Http404(exc.detail) from exc


def _statement_page(request: HttpRequest, statement) -> HttpResponse:
    current = selectors.statement_current()
    return render(request, "consent/privacy.html", {
        "statement": statement,
        "is_current": current is not None and statement.pk == current.pk,
        "current": current,
        "contacts": selectors.statement_contacts(statement),
        "versions": selectors.statement_versions(),
    })


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
    pupils = _call(selectors.pupils_for_forms, actor=request.user,
                   school_code=request.GET.get("school"), group=request.GET.get("group"),
                   pupil_id=pupil_id, now=now)
    today = today_in_amsterdam(now)
    statement = selectors.statement_current()
    return render(request, "consent/forms.html", {
        "forms": [(p, signer_required(p.date_of_birth, today)) for p in pupils],
        "group": request.GET.get("group", ""),
        "today": today,
        "statement": statement,
        "contacts": selectors.statement_contacts(statement) if statement else [],
        "privacy_url": request.build_absolute_uri(reverse("consent:privacy")),
    })


@login_required
@require_GET
def pupils(request: HttpRequest) -> HttpResponse:
    """The roster of the user's school with each pupil's consent, in words and colour."""
    group, now = request.GET.get("group", "").strip() or None, clock.now()
    school = _call(selectors.roster_school, actor=request.user,
                   school_code=request.GET.get("school"), now=now)
    return render(request, "consent/pupils.html", {
        "pupils": _call(selectors.pupils_list, actor=request.user, school_code=school.code,
                        group=group, now=now),
        "group": group or "",
        "school": school,
        "can_print": request.user.role == Role.SCHOOL_ADMIN,
    })
