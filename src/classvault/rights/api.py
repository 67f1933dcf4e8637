"""Data-subject requests and the pupil's access report (privacy officer; CONTRACT.md)."""

from django.http import HttpRequest
from ninja import Router, Status

from classvault.core import clock
from classvault.people.models import Role
from classvault.people.services import require_role

from . import selectors, services
from .register import processing_register
from .report import pupil_report_read
from .schemas import (
    ExtendIn,
    OutcomeIn,
    RecordingRefIn,
    RegisterOut,
    ReportOut,
    RequestCreatedOut,
    RequestIn,
    RequestOut,
    WithdrawalIn,
)

router = Router(tags=["rights"])


# 404: the pupil named in the body does not exist (or is not the officer's to see).
@router.post("/requests", response={201: RequestCreatedOut, 404: dict[str, str]})
def request_register(request: HttpRequest, payload: RequestIn):
    """Register a request; due one month after `received_on`; the age rule on `requested_by`."""
    require_role(request.auth, Role.PRIVACY_OFFICER)
    created = services.request_register(
        actor=request.auth,
        pupil_id=payload.pupil,
        kind=payload.kind,
        requested_by=payload.requested_by,
        received_on=payload.received_on,
        details=payload.details,
        now=clock.now(),
    )
    return Status(201, {"id": created.pk, "due_on": created.due_on, "status": created.status})


@router.get("/requests", response=list[RequestOut])
def request_list(request: HttpRequest, status: str | None = None):
    """Requests, nearest deadline first; `status` open, in_progress, completed, rejected
    or overdue."""
    now = clock.now()
    if status == "overdue":
        found = selectors.requests_overdue(actor=request.auth, now=now)
    else:
        found = selectors.requests_list(actor=request.auth, status=status)
    return [selectors.request_item(r, now) for r in found]


@router.get("/requests/{request_id}", response=RequestOut)
def request_get(request: HttpRequest, request_id: str):
    found = selectors.request_get(actor=request.auth, request_id=request_id)
    return selectors.request_item(found, clock.now())


def _item(found):
    return selectors.request_item(found, clock.now())


@router.post("/requests/{request_id}/start", response=RequestOut)
def request_start(request: HttpRequest, request_id: str):
    """open -> in_progress."""
    return _item(services.request_start(actor=request.auth, request_id=request_id, now=clock.now()))


@router.post("/requests/{request_id}/extend", response=RequestOut)
def request_extend(request: HttpRequest, request_id: str, payload: ExtendIn):
    """Extend the deadline by one or two further months (at most two in all), with a reason,
    before the first month has passed."""
    return _item(
        services.request_extend(
            actor=request.auth,
            request_id=request_id,
            months=payload.months,
            reason=payload.reason,
            now=clock.now(),
        )
    )


@router.post("/requests/{request_id}/complete", response=RequestOut)
def request_complete(request: HttpRequest, request_id: str, payload: OutcomeIn):
    """open or in_progress -> completed, with the outcome."""
    return _item(
        services.request_complete(
            actor=request.auth, request_id=request_id, outcome=payload.outcome, now=clock.now()
        )
    )


@router.post("/requests/{request_id}/reject", response=RequestOut)
def request_reject(request: HttpRequest, request_id: str, payload: OutcomeIn):
    """open or in_progress -> rejected, with the reason."""
    return _item(
        services.request_reject(
            actor=request.auth, request_id=request_id, outcome=payload.outcome, now=clock.now()
        )
    )


@router.post("/requests/{request_id}/recording-deletions", response={204: None})
def request_recording_delete(request: HttpRequest, request_id: str, payload: RecordingRefIn):
    """Delete a recording the pupil takes part in (erasure, rectification, withdrawal)."""
    services.request_recording_delete(
        actor=request.auth, request_id=request_id, recording_id=payload.recording, now=clock.now()
    )
    return Status(204, None)


@router.post("/requests/{request_id}/withdrawal", response={201: None})
def request_withdrawal(request: HttpRequest, request_id: str, payload: WithdrawalIn):
    """Register the requester's in-person withdrawal (the consent service's rules)."""
    services.request_withdrawal_register(
        actor=request.auth,
        request_id=request_id,
        scope=payload.scope,
        signer_name=payload.signer_name,
        verified_in_person=payload.verified_in_person,
        on=payload.on,
        now=clock.now(),
    )
    return Status(201, None)


@router.post("/requests/{request_id}/pupil-erasure", response={204: None})
def request_pupil_erase(request: HttpRequest, request_id: str):
    """Erase the pupil's name, number and group (docs/rights.md); 409 while consent or
    recordings remain."""
    services.pupil_erase(actor=request.auth, request_id=request_id, now=clock.now())
    return Status(204, None)


@router.get("/pupils/{pupil_id}/report", response=ReportOut)
def pupil_report(request: HttpRequest, pupil_id: str):
    """The access report (GDPR art. 15): consent, every recording the pupil takes part in
    (deleted ones too) and who had and used access, from the audit log. The read is logged."""
    return pupil_report_read(actor=request.auth, pupil_id=pupil_id, now=clock.now())


@router.get("/processing-register", response=RegisterOut)
def register_get(request: HttpRequest):
    """The record of processing activities (GDPR art. 30), from the running configuration."""
    require_role(request.auth, Role.PRIVACY_OFFICER)
    return processing_register(now=clock.now())
