"""The privacy office's pages: requests from registration to answer, the pupil's access
report (page and printable document), the record of processing, the signed audit export.

Thin: parse, call one selector or service, render. The page of a request lists what can be
done for its kind; where a recording may be deleted, its template also links to the
redaction order page (a URL, not an import: rights sits below redaction and does not know it).
"""

import json

from django import forms
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classvault.audit.services import audit_export
from classvault.consent.models import Signer, WithdrawalScope
from classvault.core import clock
from classvault.core.display import date_text
from classvault.core.exceptions import DomainError, Forbidden, NotVisible
from classvault.core.time import today_in_amsterdam
from classvault.recordings.stated_purpose import purpose_remember
from classvault.web.audit_labels import purpose_label
from classvault.web.officer_views import AuditSearchForm, DayInput, privacy_officer_only

from . import selectors, services
from .models import RequestKind, RequestStatus
from .register import processing_register
from .report import pupil_report_read

STATUS_TABS = [
    ("running", gettext_lazy("Open and in progress")),
    ("overdue", gettext_lazy("Overdue")),
    (RequestStatus.COMPLETED, gettext_lazy("Completed")),
    (RequestStatus.REJECTED, gettext_lazy("Rejected")),
    ("all", gettext_lazy("All")),
]


class RequestForm(forms.Form):
    pupil = forms.ChoiceField(label=gettext_lazy("Pupil"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind of request"), choices=RequestKind.choices)
    requested_by = forms.ChoiceField(
        label=gettext_lazy("Made by"), choices=Signer.choices, widget=forms.RadioSelect
    )
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DayInput())
    details = forms.CharField(
        label=gettext_lazy("What was asked"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, pupils=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pupil"].choices = [("", "—")] + [
            (str(p.pk), f"{p.full_name} — {p.school.name}, {p.group}") for p in pupils
        ]


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=gettext_lazy("Outcome, as told to the requester"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=gettext_lazy("Extend by"),
        coerce=int,
        choices=[(1, gettext_lazy("one month")), (2, gettext_lazy("two months"))],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (told to the requester)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawalForm(forms.Form):
    scope = forms.ChoiceField(
        label=gettext_lazy("What is withdrawn"),
        choices=WithdrawalScope.choices,
        widget=forms.RadioSelect,
    )
    signer_name = forms.CharField(label=gettext_lazy("Name of the person in front of you"))
    on = forms.DateField(label=gettext_lazy("Date"), widget=DayInput())
    verified_in_person = forms.BooleanField(
        label=gettext_lazy("I checked in person who this is"), required=True
    )


# --- requests -------------------------------------------------------------------------------


@privacy_officer_only
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """Requests, nearest deadline first; overdue ones marked, tabs by status."""
    now = clock.now()
    tab = request.GET.get("status", "running")
    if tab == "overdue":
        found = selectors.requests_overdue(actor=request.user, now=now)
    elif tab == "running":
        found = selectors.requests_list(actor=request.user).filter(
            status__in=[RequestStatus.OPEN, RequestStatus.IN_PROGRESS]
        )
    elif tab in RequestStatus.values:
        found = selectors.requests_list(actor=request.user, status=tab)
    else:
        tab, found = "all", selectors.requests_list(actor=request.user)
    rows = [{"request": r, "overdue": selectors.is_overdue(r, now)} for r in found]
    overdue = selectors.requests_overdue(actor=request.user, now=now).count()
    return render(
        request,
        "rights/requests.html",
        {"rows": rows, "tab": tab, "tabs": STATUS_TABS, "overdue_count": overdue},
    )


@privacy_officer_only
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    pupils = selectors.pupils_for_requests(actor=request.user)
    initial = {
        "received_on": today_in_amsterdam(clock.now()).isoformat(),
        "pupil": request.GET.get("pupil", ""),
    }
    form = RequestForm(request.POST or None, pupils=pupils, initial=initial)
    problem, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.request_register(
                    actor=request.user,
                    pupil_id=data["pupil"],
                    kind=data["kind"],
                    requested_by=data["requested_by"],
                    received_on=data["received_on"],
                    details=data["details"],
                    now=clock.now(),
                )
            except (Forbidden, NotVisible):
                raise
            except DomainError as exc:
                problem, status = exc.detail, exc.status
            else:
                messages.success(
                    request,
                    _("The request was registered. Answer it by %(day)s.")
                    % {"day": date_text(created.due_on)},
                )
                return redirect("rights:request", request_id=created.pk)
        else:
            status = 422
    return render(
        request, "rights/request_new.html", {"form": form, "problem": problem}, status=status
    )


def _detail(request: HttpRequest, found, *, status: int = 200, **forms_and_problem):
    now = clock.now()
    context = {
        "r": found,
        "overdue": selectors.is_overdue(found, now),
        "steps": services.STEPS[found.kind] if found.is_running else (),
        "recordings": selectors.request_recordings(actor=request.user, request=found, now=now),
        "outcome_form": OutcomeForm(),
        "extend_form": ExtendForm(),
        "withdrawal_form": WithdrawalForm(
            initial={"on": today_in_amsterdam(clock.now()).isoformat()}
        ),
        "extension_left": 2 - found.extension_months,
        **forms_and_problem,
    }
    return render(request, "rights/request.html", context, status=status)


@privacy_officer_only
@require_GET
def request_detail(request: HttpRequest, request_id) -> HttpResponse:
    return _detail(request, selectors.request_get(actor=request.user, request_id=request_id))


def _step(request: HttpRequest, request_id, run, success: str) -> HttpResponse:
    """Run one service for a request; its refusal is shown on the request's page."""
    try:
        run()
    except (Forbidden, NotVisible):
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, success)
    return redirect("rights:request", request_id=request_id)


@privacy_officer_only
@require_POST
def request_start(request: HttpRequest, request_id) -> HttpResponse:
    return _step(
        request,
        request_id,
        lambda: services.request_start(actor=request.user, request_id=request_id, now=clock.now()),
        _("The request is now in progress."),
    )


@privacy_officer_only
@require_POST
def request_extend(request: HttpRequest, request_id) -> HttpResponse:
    form = ExtendForm(request.POST)
    if not form.is_valid():
        found = selectors.request_get(actor=request.user, request_id=request_id)
        return _detail(request, found, status=422, extend_form=form)
    return _step(
        request,
        request_id,
        lambda: services.request_extend(
            actor=request.user, request_id=request_id, now=clock.now(), **form.cleaned_data
        ),
        _("The deadline was extended. Tell the requester why, within the first month."),
    )


@privacy_officer_only
@require_POST
def request_close(request: HttpRequest, request_id, how: str) -> HttpResponse:
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        found = selectors.request_get(actor=request.user, request_id=request_id)
        return _detail(request, found, status=422, outcome_form=form)
    service = services.request_complete if how == "complete" else services.request_reject
    return _step(
        request,
        request_id,
        lambda: service(
            actor=request.user,
            request_id=request_id,
            outcome=form.cleaned_data["outcome"],
            now=clock.now(),
        ),
        _("The request was completed.") if how == "complete" else _("The request was rejected."),
    )


@privacy_officer_only
@require_POST
def request_recording_delete(request: HttpRequest, request_id, recording_id) -> HttpResponse:
    return _step(
        request,
        request_id,
        lambda: services.request_recording_delete(
            actor=request.user,
            request_id=request_id,
            recording_id=str(recording_id),
            now=clock.now(),
        ),
        _("The recording was deleted for good; its keys were destroyed."),
    )


@privacy_officer_only
@require_POST
def request_withdrawal(request: HttpRequest, request_id) -> HttpResponse:
    form = WithdrawalForm(request.POST)
    if not form.is_valid():
        found = selectors.request_get(actor=request.user, request_id=request_id)
        return _detail(request, found, status=422, withdrawal_form=form)
    return _step(
        request,
        request_id,
        lambda: services.request_withdrawal_register(
            actor=request.user, request_id=request_id, now=clock.now(), **form.cleaned_data
        ),
        _("The withdrawal was registered; the pupil's recordings are blocked."),
    )


@privacy_officer_only
@require_POST
def request_pupil_erase(request: HttpRequest, request_id) -> HttpResponse:
    return _step(
        request,
        request_id,
        lambda: services.pupil_erase(actor=request.user, request_id=request_id, now=clock.now()),
        _("The pupil's name, number and group were erased."),
    )


@privacy_officer_only
@require_POST
def request_inspection(request: HttpRequest, request_id, recording_id) -> HttpResponse:
    """Start a supervised viewing for the requester: logged on the request, then the player
    logs every view with purpose ``inspection``."""
    now = clock.now()
    try:
        recording = services.request_inspection_start(
            actor=request.user, request_id=request_id, recording_id=str(recording_id), now=now
        )
    except (Forbidden, NotVisible):
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("rights:request", request_id=request_id)
    purpose_remember(
        session=request.session,
        recording_id=str(recording.pk),
        purpose=services.PURPOSE_INSPECTION,
        now=now,
    )
    return redirect("web:recording", recording_id=recording.pk)


# --- the access report ----------------------------------------------------------------------


@privacy_officer_only
@require_GET
def pupil_report(request: HttpRequest, pupil_id) -> HttpResponse:
    """The access report as a page; ``?print=1`` the document to hand over. Logged."""
    report = pupil_report_read(actor=request.user, pupil_id=str(pupil_id), now=clock.now())
    for row in report["recordings"]:
        for viewer in row["viewers"]:
            viewer["purpose_label"] = purpose_label(viewer["purpose"])
    template = "rights/report_print.html" if request.GET.get("print") else "rights/report.html"
    return render(request, template, {"report": report})


# --- the record of processing ---------------------------------------------------------------


@privacy_officer_only
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    data = processing_register(now=clock.now())
    if request.GET.get("format") == "json":
        response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
        response["Content-Disposition"] = 'attachment; filename="processing-register.json"'
        return response
    return render(request, "rights/register.html", {"register": data})


# --- the signed audit export ----------------------------------------------------------------


@privacy_officer_only
@require_GET
def audit_export_view(request: HttpRequest) -> HttpResponse:
    """The audit page's current search as a signed document (classvault audit verify
    --export checks it); the export is logged."""
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("The search is not valid; correct it first."))
        return redirect("web:officer_audit")
    query = form.query()
    query = type(query)(**{**vars(query), "before": None, "after": None})
    try:
        document = audit_export(actor=request.user, query=query, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("web:officer_audit")
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-export-{stamp}.json"'
    return response
