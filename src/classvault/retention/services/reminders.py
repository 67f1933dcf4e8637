"""Assessment deadlines (R1): e-mail the owner and their trainers 30, 7 and 1 days before a
recording that still awaits its assessment is deleted.

Each reminder goes out once, however many workers run: a worker first inserts the reminder
row (the unique constraint lets exactly one insert win), then sends, then marks it sent with
its audit event. A worker that died between claiming and sending leaves an unsent claim;
another takes it over once the lease lapsed.
"""

import logging
from datetime import datetime, timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.display import date_text, datetime_text
from classvault.people.models import NotificationKind, User
from classvault.people.notifications import notifications_send
from classvault.recordings.models import Recording
from classvault.recordings.rules import days_left

from ..models import Reminder
from ..selectors import recordings_expiring, recordings_unassessed

log = logging.getLogger(__name__)

REMINDER_DAYS = (30, 7, 1)
LEASE = timedelta(minutes=15)


def _claim(recording: Recording, days_before: int, now: datetime) -> bool:
    key = {"recording": recording, "expires_at": recording.expires_at, "days_before": days_before}
    existing = Reminder.objects.filter(**key).values_list("sent_at", flat=True)
    if not existing:
        try:
            with transaction.atomic():
                Reminder.objects.create(**key, claimed_at=now)
        except IntegrityError:
            return False  # another worker claimed it a moment ago
        return True
    if existing[0] is not None:
        return False
    with transaction.atomic():
        return bool(
            Reminder.objects.filter(
                **key, sent_at__isnull=True, claimed_at__lte=now - LEASE
            ).update(claimed_at=now)
        )


def _messages(recording: Recording, trainers: list[User]) -> list[EmailMessage]:
    owner = recording.owner
    facts = {
        "title": recording.title,
        "recorded": date_text(recording.recorded_at),
        "expiry": datetime_text(recording.expires_at),
        "student": owner.display_name,
    }
    subject = _("ClassVault: a recording is deleted on %(expiry)s, not assessed yet") % facts
    messages = []
    if owner.email:
        body = (
            _(
                'Your recording "%(title)s" of %(recorded)s is deleted for good on '
                "%(expiry)s, and it has not been assessed yet.\n\nIf your assessment needs "
                "it, share it with your trainer now and ask them to assess it before that "
                "date. Afterwards nobody can bring it back."
            )
            % facts
        )
        messages.append(EmailMessage(subject, body, to=[owner.email]))
    for trainer in trainers:
        body = (
            _(
                'The recording "%(title)s" of %(recorded)s by %(student)s is deleted for '
                "good on %(expiry)s, and it has not been assessed yet.\n\nIf you are to "
                "assess it, ask %(student)s to share it with you and assess it before that "
                "date."
            )
            % facts
        )
        messages.append(EmailMessage(subject, body, to=[trainer.email]))
    return messages


def _send(recording: Recording, days_before: int, now: datetime) -> bool:
    trainers = list(
        User.objects.filter(trainees__student_teacher=recording.owner_id, is_active=True)
        .exclude(email="")
        .order_by("username")
    )
    try:
        get_connection().send_messages(_messages(recording, trainers))
    except Exception:
        log.exception(
            "Sending the %s-day reminder for recording %s failed; it is tried again "
            "once its claim lapses.",
            days_before,
            recording.pk,
        )
        return False
    recipients = [recording.owner.username] if recording.owner.email else []
    recipients += [trainer.username for trainer in trainers]
    with transaction.atomic():
        Reminder.objects.filter(
            recording=recording, expires_at=recording.expires_at, days_before=days_before
        ).update(sent_at=now)
        audit_record(
            actor=None,
            action=AuditAction.RETENTION_REMINDER,
            obj=recording,
            now=now,
            purpose="assessment",
            data={
                "days_before": days_before,
                "expires_at": recording.expires_at.isoformat(),
                "to": recipients,
            },
        )
        # In ClassVault too, to the same people (whether or not they have an address);
        # not mailed again: the reminder above is the e-mail.
        in_app = [
            recording.owner,
            *User.objects.filter(
                trainees__student_teacher=recording.owner_id, is_active=True
            ).order_by("username"),
        ]
        notifications_send(
            recipients=in_app,
            kind=NotificationKind.EXPIRING,
            recording_id=recording.pk,
            actor=None,
            now=now,
            data={"days": days_left(recording.expires_at, now)},
            email=False,
        )
    return True


def reminders_send(*, now: datetime) -> int:
    """Send the reminders that are due at ``now``; return how many went out.

    For a recording with ``days_left`` d, the due reminder is the smallest of 30, 7 and 1 that
    is at least d (a recording made with 5 days left gets the 7-day one, not also the 30-day
    one). Recordings under legal hold, failed ones and assessed ones get none.
    """
    horizon = max(REMINDER_DAYS)
    due = recordings_unassessed(recordings_expiring(now=now, within_days=horizon))
    sent = 0
    for recording in due.select_related("owner").order_by("expires_at", "pk"):
        left = days_left(recording.expires_at, now)
        days_before = min(d for d in REMINDER_DAYS if left <= d)
        if _claim(recording, days_before, now) and _send(recording, days_before, now):
            sent += 1
    return sent
