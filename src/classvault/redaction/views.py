"""Redaction pages: order, follow the progress (cancel), review a one-person track."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from classvault.core import clock
from classvault.core.exceptions import Conflict, Invalid
from classvault.people.models import Role

from . import selectors, services
from .forms import RedactionForm


@login_required
@require_http_methods(["GET", "POST"])
def redaction_new(request: HttpRequest, recording_id) -> HttpResponse:
    """The order form, with a player to mark the one person to follow."""
    now = clock.now()
    recording = services.redaction_recording_for(
        actor=request.user, recording_id=str(recording_id), now=now
    )
    officer = request.user.role == Role.PRIVACY_OFFICER
    choices = selectors.redaction_pupil_choices(recording=recording) if officer else ()
    initial = {"pupils": request.GET.getlist("pupil")}
    form = RedactionForm(request.POST or None, pupil_choices=choices, initial=initial)
    problem, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.redaction_order(
                actor=request.user,
                recording_id=str(recording.pk),
                faces=data["faces"],
                track=data["track"],
                mute=data["mute"],
                reason=data["reason"],
                pupils=data.get("pupils") or [],
                now=now,
            )
        except (Conflict, Invalid) as exc:
            problem, status = exc.detail, exc.status
        else:
            messages.success(request, _("The redaction is ordered; it runs in the background."))
            return redirect("redaction:job", job_id=job.pk)
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "redaction/order.html",
        {
            "recording": recording,
            "form": form,
            "problem": problem,
            "open_job": selectors.redaction_open_for(recording_id=recording.pk),
            "may_watch": selectors.redaction_may_watch(actor=request.user, recording=recording),
        },
        status=status,
    )


@login_required
def redaction_job(request: HttpRequest, job_id) -> HttpResponse:
    """Progress (percentage, frames/s, time left), cancel; in review: the track to confirm."""
    job = services.redaction_job_for(actor=request.user, job_id=str(job_id), now=clock.now())
    item = selectors.redaction_job_item(job)
    return render(
        request,
        "redaction/job.html",
        {
            "job": job,
            "item": item,
            "percent": round(item["progress"] * 100),
            "size": selectors.redaction_video_size(job),
        },
    )


@login_required
@require_POST
def redaction_cancel(request: HttpRequest, job_id) -> HttpResponse:
    try:
        services.redaction_cancel(actor=request.user, job_id=str(job_id), now=clock.now())
    except Conflict as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The redaction is cancelled; the recording stays as it was."))
    return redirect("redaction:job", job_id=job_id)


@login_required
@require_POST
def redaction_review(request: HttpRequest, job_id) -> HttpResponse:
    """Confirm the computed track, or send corrections (marks drawn on the player)."""
    try:
        track = json.loads(request.POST.get("track") or "[]")
    except ValueError:
        track = []
    if request.POST.get("action") == "confirm":
        track = []
    try:
        services.redaction_review(
            actor=request.user,
            job_id=str(job_id),
            track=track if isinstance(track, list) else [],
            now=clock.now(),
        )
    except (Conflict, Invalid) as exc:
        messages.error(request, exc.detail)
    return redirect("redaction:job", job_id=job_id)
