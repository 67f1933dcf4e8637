"""Writes about data-subject requests (R12-R16): register, start, extend, close, and the
steps the privacy officer takes from a request (inspection, deletion of a recording, an
in-person withdrawal, erasure of the pupil's details), plus the deadline reminders.

Every service checks the request's allowed-from state explicitly, runs the effects first
(they may lock rows of the apps below) and writes its audit event last: the audit head is
the last lock a transaction takes (audit_record). Audit events name pupils and requests by
their opaque ids only, never by name.
"""

import logging
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.consent import selectors as consent_selectors
from classvault.consent.models import Pupil, Signer
from classvault.consent.rules import age_on, signer_required
from classvault.consent.services import consent_withdraw
from classvault.core.exceptions import Conflict, Invalid
from classvault.core.time import add_months, today_in_amsterdam
from classvault.core.validation import EARLIEST_DAY, refuse_nul
from classvault.people.models import NotificationKind, Role, User
from classvault.people.notifications import notifications_send
from classvault.people.services import require_role
from classvault.recordings.models import Recording, RecordingPupil
from classvault.retention.models import TombstoneReason
from classvault.retention.services import recording_destroy

from .models import (
    MAX_EXTENSION_MONTHS,
    RUNNING,
    DataSubjectRequest,
    RequestKind,
    RequestReminder,
    RequestStatus,
)
from .selectors import request_get, request_recording_get

log = logging.getLogger(__name__)

DETAILS_MAX = 4000
OUTCOME_MAX = 4000
# Reminders to the privacy officer: this many days before the deadline, and (0) the day
# after it passed unanswered. Each goes out once per deadline.
REMINDER_STAGES = (7, 1, 0)
PURPOSE_INSPECTION = "inspection"

# Which steps a request of each kind allows (beyond registering, extending and closing).
STEPS: dict[str, tuple[str, ...]] = {
    RequestKind.ACCESS: ("report", "inspection"),
    RequestKind.RECTIFICATION: ("report", "inspection", "recording_delete"),
    RequestKind.ERASURE: ("report", "recording_delete", "withdrawal", "pupil_erase"),
    RequestKind.WITHDRAWAL: ("report", "withdrawal", "recording_delete"),
    RequestKind.COMPLAINT: ("report",),
}


def due_on_for(received_on: date, extension_months: int = 0) -> date:
    """The deadline: one month after receipt (31 January -> 28/29 February), plus the
    months of an extension (GDPR art. 12(3))."""
    return add_months(received_on, 1 + extension_months)


def _check_text(value: str, *, limit: int, required: str | None = None) -> str:
    refuse_nul(value)
    value = (value or "").strip()
    if required is not None and not value:
        raise Invalid(required)
    if len(value) > limit:
        raise Invalid(_("The text is longer than %(max)s characters; shorten it.") % {"max": limit})
    return value


def _check_requested_by(*, pupil: Pupil, requested_by: str, day: date) -> None:
    """The age rule of consent (R13) on the day the request was received: under 16 the
    parent or guardian asks, from 16 the pupil personally."""
    if requested_by not in Signer.values:
        raise Invalid(_("Who made the request must be 'pupil' or 'guardian'."))
    required = signer_required(pupil.date_of_birth, day)
    if requested_by != required:
        age = age_on(pupil.date_of_birth, day)
        if required == Signer.GUARDIAN:
            raise Invalid(
                _(
                    "The pupil was %(age)d on %(day)s: under 16, a parent or guardian "
                    "makes the request."
                )
                % {"age": age, "day": day.isoformat()}
            )
        raise Invalid(
            _(
                "The pupil was %(age)d on %(day)s: from 16, the pupil makes the request "
                "personally, not a parent or guardian."
            )
            % {"age": age, "day": day.isoformat()}
        )


def _lock(request: DataSubjectRequest) -> DataSubjectRequest:
    return (
        DataSubjectRequest.objects.select_for_update(of=("self",))
        .select_related("pupil")
        .get(pk=request.pk)
    )


def _require_running(request: DataSubjectRequest) -> None:
    if request.status not in RUNNING:
        raise Conflict(
            _("This request is %(status)s; nothing more can be done with it.")
            % {"status": RequestStatus(request.status).label}
        )


def _require_step(request: DataSubjectRequest, step: str) -> None:
    _require_running(request)
    if step not in STEPS[request.kind]:
        raise Conflict(
            _("A request for %(kind)s does not allow this step.")
            % {"kind": RequestKind(request.kind).label}
        )


@transaction.atomic
def request_register(
    *,
    actor: User,
    pupil_id: str,
    kind: str,
    requested_by: str,
    received_on: date,
    details: str,
    now: datetime,
) -> DataSubjectRequest:
    """Register a request received on ``received_on``; due one month later (open)."""
    require_role(actor, Role.PRIVACY_OFFICER)
    pupil = consent_selectors.pupil_get_managed(actor=actor, pupil_id=pupil_id)
    if kind not in RequestKind.values:
        raise Invalid(
            _("The kind must be one of: %(kinds)s.") % {"kinds": ", ".join(RequestKind.values)}
        )
    if received_on > today_in_amsterdam(now):
        raise Invalid(
            _("The date of receipt %(day)s lies in the future. Use the day it came in.")
            % {"day": received_on.isoformat()}
        )
    if received_on < max(pupil.date_of_birth, EARLIEST_DAY):
        raise Invalid(
            _("The date of receipt %(day)s lies before the pupil's date of birth.")
            % {"day": received_on.isoformat()}
        )
    _check_requested_by(pupil=pupil, requested_by=requested_by, day=received_on)
    details = _check_text(details, limit=DETAILS_MAX)
    request = DataSubjectRequest.objects.create(
        pupil=pupil,
        kind=kind,
        requested_by=requested_by,
        received_on=received_on,
        details=details,
        due_on=due_on_for(received_on),
        registered_by=actor,
        registered_at=now,
        updated_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.REQUEST_REGISTER,
        obj=request,
        object_type="request",
        now=now,
        data={
            "pupil": str(pupil.pk),
            "kind": kind,
            "requested_by": requested_by,
            "received_on": received_on.isoformat(),
            "due_on": request.due_on.isoformat(),
        },
    )
    return request


@transaction.atomic
def request_start(*, actor: User, request_id: str, now: datetime) -> DataSubjectRequest:
    """open -> in progress: the privacy officer has taken the request up."""
    request = _lock(request_get(actor=actor, request_id=request_id))
    if request.status != RequestStatus.OPEN:
        raise Conflict(_("Only an open request can be taken into progress."))
    request.status, request.updated_at = RequestStatus.IN_PROGRESS, now
    request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REQUEST_START,
        obj=request,
        object_type="request",
        now=now,
        data={"pupil": str(request.pupil_id)},
    )
    return request


@transaction.atomic
def request_extend(
    *, actor: User, request_id: str, months: int, reason: str, now: datetime
) -> DataSubjectRequest:
    """Extend the deadline by ``months`` (in all at most two further months), with a reason.

    Allowed from open and in progress, and only before the first month has passed: the
    requester must be told of an extension within that month (GDPR art. 12(3)).
    """
    request = _lock(request_get(actor=actor, request_id=request_id))
    _require_running(request)
    reason = _check_text(
        reason, limit=DETAILS_MAX, required=_("Give the reason for the extension.")
    )
    if months < 1 or request.extension_months + months > MAX_EXTENSION_MONTHS:
        raise Invalid(
            _(
                "A deadline can be extended by at most two further months in all; "
                "%(used)d already used."
            )
            % {"used": request.extension_months}
        )
    first_due = due_on_for(request.received_on)
    if today_in_amsterdam(now) > first_due:
        raise Conflict(
            _(
                "The first month ended on %(day)s: an extension had to be decided and "
                "told to the requester before then."
            )
            % {"day": first_due.isoformat()}
        )
    before = request.due_on
    request.extension_months += months
    request.extension_reason = "\n".join(r for r in (request.extension_reason, reason) if r)
    request.due_on = due_on_for(request.received_on, request.extension_months)
    request.updated_at = now
    request.save(update_fields=["extension_months", "extension_reason", "due_on", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REQUEST_EXTEND,
        obj=request,
        object_type="request",
        now=now,
        data={
            "months": months,
            "reason": reason,
            "due_on_before": before.isoformat(),
            "due_on": request.due_on.isoformat(),
        },
    )
    return request


def _close(
    *, actor: User, request_id: str, outcome: str, status: str, action: AuditAction, now: datetime
) -> DataSubjectRequest:
    request = _lock(request_get(actor=actor, request_id=request_id))
    _require_running(request)
    outcome = _check_text(
        outcome,
        limit=OUTCOME_MAX,
        required=_("Describe the outcome: what was done, or why the request was refused."),
    )
    request.status, request.outcome = status, outcome
    request.closed_by, request.closed_at, request.updated_at = actor, now, now
    request.save(update_fields=["status", "outcome", "closed_by", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=action,
        obj=request,
        object_type="request",
        now=now,
        data={
            "pupil": str(request.pupil_id),
            "due_on": request.due_on.isoformat(),
            "late": today_in_amsterdam(now) > request.due_on,
        },
    )
    return request


@transaction.atomic
def request_complete(
    *, actor: User, request_id: str, outcome: str, now: datetime
) -> DataSubjectRequest:
    """open or in progress -> completed, with the outcome told to the requester."""
    return _close(
        actor=actor,
        request_id=request_id,
        outcome=outcome,
        status=RequestStatus.COMPLETED,
        action=AuditAction.REQUEST_COMPLETE,
        now=now,
    )


@transaction.atomic
def request_reject(
    *, actor: User, request_id: str, outcome: str, now: datetime
) -> DataSubjectRequest:
    """open or in progress -> rejected, with the reason (e.g. identity not established)."""
    return _close(
        actor=actor,
        request_id=request_id,
        outcome=outcome,
        status=RequestStatus.REJECTED,
        action=AuditAction.REQUEST_REJECT,
        now=now,
    )


# --- steps taken from a request ----------------------------------------------------------


@transaction.atomic
def request_inspection_start(
    *, actor: User, request_id: str, recording_id: str, now: datetime
) -> Recording:
    """Log that the privacy officer holds a supervised viewing of a recording for the
    requester (GDPR art. 15(3)); the views that follow are logged with purpose
    ``inspection`` by the player (recording_access_record)."""
    request = _lock(request_get(actor=actor, request_id=request_id))
    _require_step(request, "inspection")
    recording = request_recording_get(
        actor=actor, request=request, recording_id=recording_id, now=now
    )
    audit_record(
        actor=actor,
        action=AuditAction.REQUEST_INSPECTION,
        obj=request,
        object_type="request",
        now=now,
        purpose=PURPOSE_INSPECTION,
        data={"recording": str(recording.pk), "pupil": str(request.pupil_id)},
    )
    return recording


@transaction.atomic
def request_recording_delete(
    *, actor: User, request_id: str, recording_id: str, now: datetime
) -> None:
    """Delete a recording the pupil takes part in, for an erasure (or rectification,
    withdrawal) request.

    DANGEROUS: the same deletion as the sweep and the owner's (retention's
    ``recording_destroy``: keys first, then rows with one ``recording.delete`` event, blobs
    after commit); nothing of the recording can be recovered. A legal hold refuses it (409).
    Then the request's own event links the deletion to the request.
    """
    request = _lock(request_get(actor=actor, request_id=request_id))
    _require_step(request, "recording_delete")
    recording = request_recording_get(
        actor=actor, request=request, recording_id=recording_id, now=now
    )
    recording_destroy(
        recording_id=recording.pk, actor=actor, reason=TombstoneReason.DELETED, now=now
    )
    audit_record(
        actor=actor,
        action=AuditAction.REQUEST_RECORDING_DELETE,
        obj=request,
        object_type="request",
        now=now,
        data={"recording": str(recording.pk), "pupil": str(request.pupil_id)},
    )


@transaction.atomic
def request_withdrawal_register(
    *,
    actor: User,
    request_id: str,
    scope: str,
    signer_name: str,
    verified_in_person: bool,
    on: date,
    now: datetime,
):
    """Run the in-person withdrawal (consent's ``consent_withdraw``: same checks, same
    hook that blocks the pupil's recordings) for a withdrawal or erasure request, signed by
    whoever made the request."""
    request = _lock(request_get(actor=actor, request_id=request_id))
    _require_step(request, "withdrawal")
    record = consent_withdraw(
        actor=actor,
        pupil_id=str(request.pupil_id),
        scope=scope,
        by=request.requested_by,
        signer_name=signer_name,
        verified_in_person=verified_in_person,
        on=on,
        now=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.REQUEST_WITHDRAWAL,
        obj=request,
        object_type="request",
        now=now,
        data={"record": str(record.pk), "scope": scope, "pupil": str(request.pupil_id)},
    )
    return record


ERASED_NAME = ""


@transaction.atomic
def pupil_erase(*, actor: User, request_id: str, now: datetime) -> Pupil:
    """Erase the pupil's own details for an erasure request (docs/rights.md).

    DANGEROUS: the name, the school's number and the group cannot be recovered; the date of
    birth is cut to 1 January of its year. The pupil row stays (pseudonymous, by its opaque
    id) because the append-only consent history points at it: that history is the proof of
    consent and is kept under its own legal basis (art. 7(1), 17(3)(e)). Refused (409) while
    the pupil still has consent or takes part in a recording that is not deleted: withdraw
    and delete first, so nothing that needs the name is left.
    """
    request = _lock(request_get(actor=actor, request_id=request_id))
    _require_step(request, "pupil_erase")
    pupil = Pupil.objects.select_for_update(of=("self",)).get(pk=request.pupil_id)
    if pupil.recording_consent:
        raise Conflict(_("The pupil still has consent: register the withdrawal (in person) first."))
    if RecordingPupil.objects.filter(pupil=pupil, attested_out_of_view=False).exists():
        raise Conflict(
            _("The pupil still takes part in recordings: delete them from this request first.")
        )
    if pupil.external_id.startswith("erased-"):
        raise Conflict(_("The pupil's details have already been erased."))
    Pupil.objects.filter(pk=pupil.pk).update(
        full_name=ERASED_NAME,
        external_id=f"erased-{pupil.pk.hex[:16]}",
        group="",
        date_of_birth=date(pupil.date_of_birth.year, 1, 1),
        updated_at=now,
    )
    pupil.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.PUPIL_ERASE,
        obj=pupil,
        now=now,
        data={"request": str(request.pk)},
    )
    return pupil


# --- deadline reminders -------------------------------------------------------------------


def _stage(due_on: date, today: date) -> int | None:
    days = (due_on - today).days
    if days < 0:
        return 0
    if days <= 1:
        return 1
    if days <= 7:
        return 7
    return None


def request_reminders_send(*, now: datetime) -> int:
    """Tell the privacy officers (in the app, and by e-mail where configured) about
    requests 7 days and 1 day before their deadline, and once the day after it passed.

    Exactly once per request, deadline and stage, however many workers run the schedule:
    the reminder row, the notifications and the audit event commit together, and the
    unique constraint lets one transaction win. A request registered late gets only the
    reminder of the stage it is in. Run by the retention schedule (the ``schedule_ran``
    hook); safe to run any number of times.
    """
    today = today_in_amsterdam(now)
    due = DataSubjectRequest.objects.filter(
        status__in=RUNNING, due_on__lte=today + timedelta(days=7)
    ).order_by("due_on")
    officers = list(User.objects.filter(role=Role.PRIVACY_OFFICER, is_active=True))
    sent = 0
    for request in due:
        stage = _stage(request.due_on, today)
        if stage is None:
            continue
        if RequestReminder.objects.filter(
            request=request, due_on=request.due_on, stage=stage
        ).exists():
            continue
        try:
            with transaction.atomic():
                RequestReminder.objects.create(
                    request=request, due_on=request.due_on, stage=stage, sent_at=now
                )
                notifications_send(
                    recipients=officers,
                    kind=NotificationKind.REQUEST_DUE,
                    recording_id=request.pk,
                    actor=None,
                    now=now,
                    data={"due_on": request.due_on.isoformat(), "stage": stage},
                )
                audit_record(
                    actor=None,
                    action=AuditAction.REQUEST_REMINDER,
                    obj=request,
                    object_type="request",
                    now=now,
                    data={"due_on": request.due_on.isoformat(), "stage": stage},
                )
        except IntegrityError:
            continue  # another worker sent this one a moment ago
        sent += 1
    if sent:
        log.info("Sent %d reminders of data-subject requests.", sent)
    return sent
