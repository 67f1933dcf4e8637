"""Managing a recording in the browser (R6, R7, R8): share, unshare, screenings, delete.

For the owner and her custodian supervisor; each view calls the sharing or retention
service the API calls, and shows its refusal in Dutch on the page.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from classvault.core import clock
from classvault.core.exceptions import Conflict, DomainError, Forbidden, Invalid, NotVisible
from classvault.core.time import AMSTERDAM
from classvault.recordings.models import Recording
from classvault.retention.services import recording_delete as delete_service
from classvault.sharing import access, screenings, services
from classvault.sharing.selectors import recording_get_visible


def _managed(request: HttpRequest, recording_id) -> Recording:
    """The recording the user manages: 404 when she may not see it, 403 when she only sees it
    (the domain error pages, core.middleware)."""
    return access.recording_get_managed(
        actor=request.user, recording_id=recording_id, now=clock.now()
    )


def _visible(request: HttpRequest, recording_id, now: datetime) -> Recording:
    return recording_get_visible(actor=request.user, recording_id=recording_id, now=now)


def _back(recording_id) -> HttpResponse:
    return redirect("web:recording", recording_id=recording_id)


def _act(request: HttpRequest, recording_id, action, success: str) -> HttpResponse:
    """Run one sharing service on a visible recording; its answer becomes a message on the
    player page (403 for someone who only watches, 404 for someone who may not see it)."""
    now = clock.now()
    recording = _visible(request, recording_id, now)
    try:
        action(recording, now)
    except (Forbidden, NotVisible):
        raise  # whole-page answers (core.middleware)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, success)
    return _back(recording_id)


@login_required
@require_POST
def share_add(request: HttpRequest, recording_id) -> HttpResponse:
    username = request.POST.get("username", "").strip()
    return _act(
        request,
        recording_id,
        lambda recording, now: services.share_grant(
            actor=request.user, recording=recording, username=username, now=now
        ),
        _("The recording is now shared."),
    )


@login_required
@require_POST
def share_remove(request: HttpRequest, recording_id) -> HttpResponse:
    username = request.POST.get("username", "").strip()
    return _act(
        request,
        recording_id,
        lambda recording, now: services.share_revoke(
            actor=request.user, recording=recording, username=username, now=now
        ),
        _("The recording is no longer shared with this person."),
    )


@login_required
@require_POST
def screening_cancel(request: HttpRequest, recording_id, screening_id) -> HttpResponse:
    return _act(
        request,
        recording_id,
        lambda recording, now: screenings.screening_cancel(
            actor=request.user, recording=recording, screening_id=screening_id, now=now
        ),
        _("The screening is cancelled."),
    )


def _local(value: str) -> datetime | None:
    """A datetime-local field's value, read as Amsterdam time."""
    parsed = parse_datetime(value or "")
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=AMSTERDAM)


@login_required
@require_http_methods(["GET", "POST"])
def screening_new(request: HttpRequest, recording_id) -> HttpResponse:
    """Plan a small-group meeting; the service decides (consent, length, attendees)."""
    recording = _managed(request, recording_id)
    now = clock.now()
    start = now.astimezone(AMSTERDAM).replace(second=0, microsecond=0)
    form = {
        "mode": "online",
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "attendees": [],
    }
    error, lacking, status = None, [], 200
    if request.method == "POST":
        form = {
            "mode": request.POST.get("mode", ""),
            "starts_at": _local(request.POST.get("starts_at", "")),
            "ends_at": _local(request.POST.get("ends_at", "")),
            "attendees": request.POST.getlist("attendees"),
        }
        try:
            if form["starts_at"] is None or form["ends_at"] is None:
                raise Invalid(_("Give the start and the end of the screening."))
            screenings.screening_schedule(
                actor=request.user,
                recording=recording,
                mode=form["mode"],
                starts_at=form["starts_at"],
                ends_at=form["ends_at"],
                attendees=form["attendees"],
                now=now,
            )
        except (Invalid, Conflict) as exc:
            error, status = exc.detail, exc.status
            lacking = access.pupil_names_for(
                actor=request.user,
                recording=recording,
                pupil_ids=exc.extra.get("pupils_without_peer_consent", []),
            )
        except Forbidden as exc:
            raise PermissionDenied(exc.detail) from exc
        else:
            messages.success(request, _("The screening is planned."))
            return _back(recording.pk)
    return render(
        request,
        "web/recording/screening_new.html",
        {
            "recording": recording,
            "form": form,
            "error": error,
            "lacking": lacking,
            "candidates": access.screening_attendee_candidates(recording=recording),
            "max_hours": settings.CLASSVAULT_SCREENING_MAX_HOURS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def recording_delete(request: HttpRequest, recording_id) -> HttpResponse:
    """Delete for good, after a confirmation page; under legal hold the service refuses."""
    recording = _managed(request, recording_id)
    error, status = None, 200
    if request.method == "POST":
        try:
            delete_service(actor=request.user, recording=recording, now=clock.now())
        except Conflict as exc:
            error, status = exc.detail, exc.status
        except Forbidden as exc:
            raise PermissionDenied(exc.detail) from exc
        else:
            messages.success(
                request,
                _("The recording “%(title)s” is deleted for good.") % {"title": recording.title},
            )
            return redirect("web:home")
    return render(
        request,
        "web/recording/delete.html",
        {"recording": recording, "error": error},
        status=status,
    )
