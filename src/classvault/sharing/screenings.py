"""Screenings for small-group meetings (R8): only when every pupil taking part consented."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.consent.models import Pupil
from classvault.core.exceptions import Conflict, Forbidden, Invalid, NotVisible
from classvault.people.models import NotificationKind, Role, User
from classvault.people.notifications import notifications_send
from classvault.recordings.models import Recording, RecordingStatus

from .models import Screening, ScreeningMode, Share
from .selectors import is_custodian


def _may_schedule(actor: User, recording: Recording) -> bool:
    """The owner and custodians; a trainer the recording is shared with (live meetings)."""
    if is_custodian(actor=actor, recording=recording):
        return True
    return (
        actor.role == Role.TRAINER
        and Share.objects.filter(recording=recording, user=actor).exists()
    )


def _pupils_present_locked(recording: Recording) -> list[Pupil]:
    """The pupils taking part in the recording, their rows locked until this transaction
    ends, so their consent cannot change between the check and the new screening.

    A withdrawal locks the same pupil row first (consent services) and cancels, in its own
    transaction, the screenings that exist by then. So either the withdrawal waits for the
    new screening to commit and cancels it, or the schedule waits for the withdrawal and
    reads the withdrawn consent (409). On PostgreSQL ``select_for_update`` takes the row
    locks (and re-reads a row changed while it waited). SQLite has one writer: the
    IMMEDIATE transaction mode (settings) holds the write lock from BEGIN, before any read.
    """
    present = recording.presences.filter(attested_out_of_view=False).values("pupil_id")
    # In primary-key order, so two schedules of one recording never deadlock.
    return list(Pupil.objects.select_for_update().filter(pk__in=present).order_by("pk"))


@transaction.atomic
def screening_schedule(
    *,
    actor: User,
    recording: Recording,
    mode: str,
    starts_at: datetime,
    ends_at: datetime,
    attendees: list[str],
    now: datetime,
) -> Screening:
    """Schedule a screening: a meeting of a few fellow students, every pupil consenting.

    It must end in the future and last at most ``CLASSVAULT_SCREENING_MAX_HOURS``; so it
    may have started already (a meeting planned while it runs), but never longer ago than
    that. Consent is decided on the pupils' locked rows (see :func:`_pupils_present_locked`).
    """
    if not _may_schedule(actor, recording):
        raise Forbidden(
            _(
                "Only the student teacher, their supervisor or a trainer it is "
                "shared with schedules a screening."
            )
        )
    if mode not in ScreeningMode.values:
        raise Invalid(_("mode must be live or online."))
    if ends_at <= starts_at:
        raise Invalid(_("A screening must end after it starts."))
    max_hours = settings.CLASSVAULT_SCREENING_MAX_HOURS
    if ends_at - starts_at > timedelta(hours=max_hours):
        raise Invalid(
            ngettext(
                "A screening is a meeting: it lasts at most %(hours)s hour. "
                "Plan a shorter one, or several.",
                "A screening is a meeting: it lasts at most %(hours)s hours. "
                "Plan a shorter one, or several.",
                max_hours,
            )
            % {"hours": max_hours}
        )
    if ends_at <= now:
        raise Invalid(_("This screening would already be over."))
    if ends_at > recording.expires_at:
        raise Invalid(_("The recording is deleted before the screening ends."))
    names = list(dict.fromkeys(attendees))
    limit = settings.CLASSVAULT_SCREENING_MAX_ATTENDEES
    if not names or len(names) > limit:
        raise Invalid(
            _("A screening is for a small group: 1 to %(max)s fellow students.") % {"max": limit}
        )
    users = list(User.objects.filter(username__in=names, is_active=True))
    wrong = sorted(
        set(names) - {u.username for u in users if u.role == Role.STUDENT_TEACHER}
        | ({recording.owner.username} & set(names))
    )
    if wrong:
        raise Invalid(
            _("Attendees must be fellow student teachers: %(names)s.")
            % {"names": ", ".join(wrong)},
            attendees=wrong,
        )
    pupils = _pupils_present_locked(recording)
    # Read after the locks: a withdrawal of all consent blocks the recording in the same
    # transaction that changed the pupil.
    status = Recording.objects.filter(pk=recording.pk).values_list("status", flat=True).first()
    if status is None:
        raise NotVisible(_("No such recording."))
    if status == RecordingStatus.BLOCKED:
        raise Conflict(_("This recording is blocked and cannot be shown."))
    lacking = sorted(str(p.pk) for p in pupils if not p.peer_viewing_consent)
    if lacking:
        raise Conflict(
            _("Not every pupil in this recording consented to being shown to fellow students."),
            pupils_without_peer_consent=lacking,
        )
    screening = Screening.objects.create(
        recording=recording,
        mode=mode,
        starts_at=starts_at,
        ends_at=ends_at,
        scheduled_by=actor,
        scheduled_at=now,
    )
    screening.attendees.set(users)
    audit_record(
        actor=actor,
        action=AuditAction.SCREENING_SCHEDULE,
        obj=recording,
        now=now,
        purpose="screening",
        data={
            "screening": str(screening.pk),
            "mode": mode,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "attendees": sorted(names),
        },
    )
    notifications_send(
        recipients=users,
        kind=NotificationKind.SCREENING,
        recording_id=recording.pk,
        actor=actor,
        now=now,
        data={"starts_at": starts_at.isoformat()},
    )
    return screening


@transaction.atomic
def screening_cancel(
    *, actor: User, recording: Recording, screening_id: str, now: datetime
) -> Screening:
    """Call off a screening that has not ended: those who may schedule one may cancel it.
    Online attendees lose their access at once (the visibility rule skips cancelled ones)."""
    if not _may_schedule(actor, recording):
        raise Forbidden(
            _(
                "Only the student teacher, their supervisor or a trainer it is "
                "shared with cancels a screening."
            )
        )
    try:
        pk = uuid.UUID(str(screening_id))
    except ValueError:
        raise NotVisible(_("No such screening.")) from None
    screening = Screening.objects.select_for_update().filter(pk=pk, recording=recording).first()
    if screening is None:
        raise NotVisible(_("No such screening."))
    if screening.cancelled_at is not None:
        raise Conflict(_("This screening was cancelled already."))
    if screening.ends_at <= now:
        raise Conflict(_("This screening is over; there is nothing to cancel."))
    screening.cancelled_at = now
    screening.cancel_reason = "cancelled"
    screening.save(update_fields=["cancelled_at", "cancel_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.SCREENING_CANCEL,
        obj=recording,
        now=now,
        purpose="screening",
        data={"screening": str(screening.pk)},
    )
    return screening


def screenings_cancel_for_withdrawal(
    *, pupil, scope: str, record, actor: User, now: datetime
) -> None:
    """A pupil withdrew consent (peer viewing or all): cancel every screening of the
    recordings they take part in that has not ended yet. Runs in the withdrawal's
    transaction."""
    screenings = (
        Screening.objects.filter(
            recording__presences__pupil=pupil,
            recording__presences__attested_out_of_view=False,
            cancelled_at__isnull=True,
            ends_at__gt=now,
        )
        .select_related("recording")
        .distinct()
    )
    for screening in screenings:
        Screening.objects.filter(pk=screening.pk).update(
            cancelled_at=now, cancel_reason="consent withdrawn"
        )
        audit_record(
            actor=actor,
            action=AuditAction.SCREENING_CANCEL,
            obj=screening.recording,
            now=now,
            purpose="consent_withdrawal",
            data={"screening": str(screening.pk), "pupil": str(pupil.pk)},
        )
