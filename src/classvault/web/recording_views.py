"""Recording pages: the dashboard, the player and the upload page (thin; the API does the work)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from classvault.consent.selectors import pupils_list
from classvault.core import clock
from classvault.core.exceptions import DomainError, Invalid, NotVisible
from classvault.people.models import Role
from classvault.recordings import selectors as recording_selectors
from classvault.recordings import services as recording_services
from classvault.recordings.rules import days_left
from classvault.sharing.feedback import comments_for
from classvault.sharing.selectors import (
    may_give_feedback,
    recording_detail,
    recording_get_visible,
    recordings_inbox,
)


@login_required
def recording_list(request: HttpRequest) -> HttpResponse:
    rows = recordings_inbox(actor=request.user, now=clock.now())
    return render(request, "web/recordings.html", {"rows": rows})


@login_required
def recording_player(request: HttpRequest, recording_id: str) -> HttpResponse:
    now = clock.now()
    try:
        recording = recording_get_visible(actor=request.user, recording_id=recording_id, now=now)
    except NotVisible as exc:
        raise Http404(exc.detail) from exc
    try:
        purpose = recording_selectors.view_purpose(actor=request.user, recording=recording,
                                                   asked=request.GET.get("purpose"))
    except Invalid:
        # The privacy officer states why she looks before anything is shown (R4).
        return render(request, "web/purpose.html", {"recording_id": recording.pk}, status=400)
    recording_services.recording_access_record(actor=request.user, recording=recording,
                                               what="view", purpose=purpose, now=now)
    may_comment = may_give_feedback(actor=request.user, recording=recording)
    return render(request, "web/player.html", {
        "recording": recording,
        "may_comment": may_comment,
        "comments": comments_for(actor=request.user, recording=recording) if may_comment else [],
        "detail": recording_detail(actor=request.user, recording=recording),
        "days_left": days_left(recording.expires_at, now),
        "viewed_at": now,
        "purpose": request.GET.get("purpose", ""),
    })


@login_required
def recording_upload(request: HttpRequest) -> HttpResponse:
    """The upload page: the roster with who may be recorded, and a resumable upload."""
    now = clock.now()
    problem = None
    pupils = []
    if request.user.role != Role.STUDENT_TEACHER:
        raise Http404()
    try:
        enrolment = recording_services.recording_upload_allowed(actor=request.user)
        pupils = list(pupils_list(actor=request.user, school_code=enrolment.school.code,
                                  now=now))
    except DomainError as exc:
        problem = exc.detail
    return render(request, "web/upload.html", {"problem": problem, "pupils": pupils,
                                               "today": now})
