"""Recording pages: the list, the player (with feedback and assessment), the privacy officer's
purpose form and the upload page (thin; the services and the API do the work)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from classvault.consent.selectors import pupils_list
from classvault.core import clock
from classvault.core.exceptions import DomainError, Invalid
from classvault.core.time import today_in_amsterdam
from classvault.people.models import Role
from classvault.recordings import selectors as recording_selectors
from classvault.recordings import services as recording_services
from classvault.recordings.models import Recording
from classvault.recordings.quota import StorageUse, gb_text, storage_use
from classvault.recordings.rules import days_left
from classvault.recordings.stated_purpose import purpose_remember, purpose_remembered
from classvault.sharing import feedback
from classvault.sharing.selectors import (
    may_give_feedback,
    recording_detail,
    recording_get_visible,
    recordings_inbox_page,
)


@login_required
def recording_list(request: HttpRequest) -> HttpResponse:
    """One page of what the user may see; a link to the next while there is more."""
    cursor = request.GET.get("cursor") or None
    try:
        rows, after = recordings_inbox_page(actor=request.user, now=clock.now(), cursor=cursor)
    except Invalid:  # a cursor mangled in the address bar: start at the first page
        return redirect("web:recordings")
    return render(
        request,
        "web/recordings.html",
        {"rows": rows, "next_cursor": after, "paged": cursor is not None},
    )


def _visible(request: HttpRequest, recording_id: str, now) -> Recording:
    return recording_get_visible(actor=request.user, recording_id=recording_id, now=now)


@login_required
def recording_player(request: HttpRequest, recording_id: str) -> HttpResponse:
    now = clock.now()
    recording = _visible(request, recording_id, now)
    stated = purpose_remembered(session=request.session, recording_id=str(recording.pk), now=now)
    try:
        purpose = recording_selectors.view_purpose(
            actor=request.user, recording=recording, asked=stated
        )
    except Invalid:
        # The privacy officer states why she looks before anything is shown (R4), in a
        # form that is POSTed: never in a URL.
        return render(request, "web/purpose.html", {"recording": recording})
    recording_services.recording_access_record(
        actor=request.user, recording=recording, what="view", purpose=purpose, now=now
    )
    return render(
        request, "web/player.html", _player_context(request, recording, now, purpose=stated)
    )


@login_required
@require_POST
def recording_purpose(request: HttpRequest, recording_id: str) -> HttpResponse:
    """The privacy officer's stated purpose: kept in her session for this recording, then on
    to the player (which, with its stream and poster, finds it there)."""
    now = clock.now()
    recording = _visible(request, recording_id, now)
    if request.user.role != Role.PRIVACY_OFFICER:
        return redirect("web:recording", recording.pk)
    asked = request.POST.get("purpose", "").strip()
    if not asked:
        return render(
            request,
            "web/purpose.html",
            {
                "recording": recording,
                "error": _("State the purpose of this view, for example the request number."),
            },
            status=422,
        )
    purpose = recording_selectors.view_purpose(actor=request.user, recording=recording, asked=asked)
    purpose_remember(
        session=request.session, recording_id=str(recording.pk), purpose=purpose, now=now
    )
    return redirect("web:recording", recording.pk)


@login_required
@require_POST
def recording_assess(request: HttpRequest, recording_id: str) -> HttpResponse:
    """A shared trainer's assessment, through the service the API uses (R1)."""
    now = clock.now()
    recording = _visible(request, recording_id, now)
    form = {
        "verdict": request.POST.get("verdict", ""),
        "notes": request.POST.get("notes", ""),
        "assessed_on": request.POST.get("assessed_on", ""),
    }
    try:
        assessment = feedback.assessment_add(
            actor=request.user,
            recording=recording,
            verdict=form["verdict"],
            notes=form["notes"],
            assessed_on=_day(form["assessed_on"]),
            now=now,
        )
    except DomainError as exc:
        context = _player_context(request, recording, now, purpose=None)
        context.update(assessment_form=form, assessment_error=exc.detail)
        return render(request, "web/player.html", context, status=exc.status)
    messages.success(
        request,
        _("Assessed: %(verdict)s on %(day)s.")
        % {"verdict": assessment.verdict, "day": date_format(assessment.assessed_on, "j F Y")},
    )
    return redirect("web:recording", recording.pk)


def _day(raw: str):
    try:
        day = parse_date(raw.strip())
    except ValueError:
        day = None
    if day is None:
        raise Invalid(_("Give the date of the assessment (day, month and year)."))
    return day


def _player_context(
    request: HttpRequest, recording: Recording, now, purpose: str | None
) -> dict[str, Any]:
    user = request.user
    may_comment = may_give_feedback(actor=user, recording=recording)
    return {
        "recording": recording,
        "may_comment": may_comment,
        "may_assess": feedback.may_assess(actor=user, recording=recording),
        "comments": (feedback.comments_for(actor=user, recording=recording) if may_comment else []),
        "assessments": (
            feedback.assessments_for(actor=user, recording=recording) if may_comment else []
        ),
        "assessment_scale": settings.CLASSVAULT_ASSESSMENT_SCALE,
        "assessment_form": {"assessed_on": today_in_amsterdam(now).isoformat()},
        "detail": recording_detail(actor=user, recording=recording),
        "days_left": days_left(recording.expires_at, now),
        "viewed_at": now,
        "purpose": purpose,
        "is_privacy_officer": user.role == Role.PRIVACY_OFFICER,
    }


def _recording_form_context(request: HttpRequest) -> dict[str, Any]:
    """The roster with who may be recorded (and its groups), or why she cannot record yet."""
    now = clock.now()
    problem = None
    pupils = []
    if request.user.role != Role.STUDENT_TEACHER:
        raise Http404()
    try:
        enrolment = recording_services.recording_upload_allowed(actor=request.user)
        pupils = list(pupils_list(actor=request.user, school_code=enrolment.school.code, now=now))
    except DomainError as exc:
        problem = exc.detail
    return {
        "problem": problem,
        "pupils": pupils,
        "groups": sorted({p.group for p in pupils}),
        "today": now,
        "max_upload_mib": settings.CLASSVAULT_MAX_UPLOAD_BYTES // (1 << 20),
        "max_minutes": settings.CLASSVAULT_MAX_RECORDING_SECONDS // 60,
        "storage": _storage(storage_use(owner=request.user, now=now)),
    }


def _storage(use: StorageUse) -> dict[str, Any]:
    """Her storage in GB for the page: ``limited`` False when there is no quota."""
    return {
        "limited": use.limited,
        "used": gb_text(use.used),
        "quota": gb_text(use.quota),
        "percent": min(100, use.used * 100 // use.quota) if use.limited else 0,
        "full": use.limited and use.left == 0,
    }


@login_required
def recording_upload(request: HttpRequest) -> HttpResponse:
    """The upload page: the roster with who may be recorded, and a resumable upload."""
    return render(request, "web/upload.html", _recording_form_context(request))


# What the record page may hold in the browser's memory while the connection is down.
RECORD_BUFFER_BYTES = 256 * 1024 * 1024


@login_required
def recording_record(request: HttpRequest) -> HttpResponse:
    """The record page: pick the group, tick who is present, record with camera and
    microphone; the recording goes to the vault while it runs (record.js, the uploads API)."""
    context = _recording_form_context(request)
    context["buffer_bytes"] = RECORD_BUFFER_BYTES
    return render(request, "web/record.html", context)
