"""The privacy officer's pages: the audit log (search, paging, integrity check) and legal
holds. Thin: parse, call one selector or service, render."""

from datetime import date, timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classvault.audit.checkpoints import CheckpointError
from classvault.audit.keys import AuditKeyError
from classvault.audit.selectors import AuditQuery
from classvault.audit.services import audit_verify_run
from classvault.core import clock
from classvault.core.exceptions import DomainError, Forbidden, NotVisible
from classvault.core.time import end_of_day
from classvault.core.validation import EARLIEST_DAY, LATEST_DAY
from classvault.people.models import Role
from classvault.retention import selectors as retention_selectors
from classvault.retention import services as retention_services
from classvault.sharing.selectors import recording_get_visible

from . import officer_selectors
from .audit_labels import action_choices


def privacy_officer_only(view):
    """Log in first; then 403 for every other role, before anything about the request."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.role != Role.PRIVACY_OFFICER:
            raise PermissionDenied(_("Only the privacy officer may do this."))
        return view(request, *args, **kwargs)

    return wrapper


# --- the audit log ------------------------------------------------------------------------


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AuditSearchForm(forms.Form):
    recording = forms.CharField(label=gettext_lazy("Recording id"), required=False, max_length=64)
    pupil = forms.CharField(label=gettext_lazy("Pupil id"), required=False, max_length=64)
    actor = forms.CharField(label=gettext_lazy("Who (username)"), required=False, max_length=150)
    action = forms.ChoiceField(label=gettext_lazy("What"), required=False)
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DayInput())
    until = forms.DateField(
        label=gettext_lazy("Up to and including"), required=False, widget=DayInput()
    )
    technical = forms.BooleanField(
        label=gettext_lazy("Show technical events (key housekeeping)"), required=False
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Every action"))] + action_choices()

    def clean(self):
        data = super().clean()
        for name in ("since", "until"):
            day = data.get(name)
            if day is not None and not EARLIEST_DAY < day < LATEST_DAY:
                self.add_error(
                    name,
                    _("Choose a date between %(first)s and %(last)s.")
                    % {"first": EARLIEST_DAY.year, "last": LATEST_DAY.year},
                )
        return data

    def query(self) -> AuditQuery:
        data = self.cleaned_data
        since: date | None = data.get("since")
        until: date | None = data.get("until")
        return AuditQuery(
            object_ids=tuple(v.strip() for v in (data["recording"], data["pupil"]) if v.strip()),
            actor=data["actor"].strip(),
            actions=(data["action"],) if data["action"] else (),
            since=end_of_day(since - timedelta(days=1)) if since else None,
            until=end_of_day(until) if until else None,
            technical=data["technical"],
            before=data.get("before"),
            after=data.get("after"),
        )


@privacy_officer_only
@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, 50 a page; every search is itself logged."""
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "web/officer/audit.html",
            {"form": form, "page": None, "verification": officer_selectors.verification_last()},
            status=422,
        )
    page = officer_selectors.audit_page(actor=request.user, query=form.query(), now=clock.now())
    params = request.GET.copy()
    for cursor in ("before", "after"):
        params.pop(cursor, None)
    return render(
        request,
        "web/officer/audit.html",
        {
            "form": form,
            "page": page,
            "filters": params.urlencode(),
            "filtered": any(
                form.cleaned_data.get(f)
                for f in ("recording", "pupil", "actor", "action", "since", "until")
            ),
            "verification": officer_selectors.verification_last(),
        },
    )


@privacy_officer_only
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Check the log's hash chain now; the outcome is itself recorded in the log."""
    try:
        result = audit_verify_run(actor=request.user, now=clock.now())
    except (AuditKeyError, CheckpointError) as exc:  # then nothing can be said
        messages.error(
            request, _("The audit log could not be checked: %(reason)s") % {"reason": exc}
        )
    else:
        if result.broken is None:
            messages.success(
                request,
                _("The audit log is intact: %(count)d entries checked.")
                % {"count": result.checked},
            )
        else:
            messages.error(
                request,
                _(
                    "The audit log is BROKEN at entry %(seq)d; the %(count)d "
                    "entries before it are intact. Tell the data protection "
                    "officer."
                )
                % {"seq": result.broken.seq, "count": result.checked},
            )
    return redirect("web:officer_audit")


# --- legal holds ----------------------------------------------------------------------------


class LegalHoldForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason: the legal obligation the hold serves"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference (e.g. a case number)"), max_length=200, required=False
    )


@privacy_officer_only
@require_GET
def holds(request: HttpRequest) -> HttpResponse:
    """Recordings to place a legal hold on (searchable), held ones marked."""
    search = request.GET.get("q", "")
    recordings = retention_selectors.recordings_for_holds(
        actor=request.user, now=clock.now(), search=search
    )
    return render(
        request,
        "web/officer/holds.html",
        {"recordings": recordings, "q": search, "limit": retention_selectors.HOLD_LIST_LIMIT},
    )


def _recording(request: HttpRequest, recording_id):
    return recording_get_visible(actor=request.user, recording_id=recording_id, now=clock.now())


@privacy_officer_only
@require_http_methods(["GET", "POST"])
def recording_hold(request: HttpRequest, recording_id) -> HttpResponse:
    """One recording's legal hold: place it (reason, reference) or release it."""
    recording = _recording(request, recording_id)
    form, problem, status = LegalHoldForm(request.POST or None), None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                retention_services.legal_hold_place(
                    actor=request.user, recording=recording, now=clock.now(), **form.cleaned_data
                )
            except (Forbidden, NotVisible):
                raise  # whole-page answers (core.middleware)
            except DomainError as exc:
                problem, status = exc.detail, exc.status
            else:
                messages.success(
                    request,
                    _("The legal hold was placed: the recording is kept until you release it."),
                )
                return redirect("web:officer_hold", recording_id=recording.pk)
        else:
            status = 422
    history = retention_selectors.legal_holds_of(actor=request.user, recording=recording)
    return render(
        request,
        "web/officer/recording_hold.html",
        {
            "recording": recording,
            "form": form,
            "problem": problem,
            "history": history,
            "active": next((h for h in history if h["released_at"] is None), None),
        },
        status=status,
    )


@privacy_officer_only
@require_POST
def recording_hold_release(request: HttpRequest, recording_id) -> HttpResponse:
    recording = _recording(request, recording_id)
    try:
        retention_services.legal_hold_release(
            actor=request.user, recording=recording, now=clock.now()
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            _(
                "The legal hold was released. If the recording has "
                "expired, the next retention run deletes it."
            ),
        )
    return redirect("web:officer_hold", recording_id=recording.pk)
