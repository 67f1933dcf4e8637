"""Granting and revoking shares (R6, R7): only the owner's own trainers and supervisors."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Forbidden, Invalid
from classvault.people.models import Enrolment, NotificationKind, User
from classvault.people.notifications import notification_send
from classvault.recordings.models import Recording

from .access import shareable_users
from .models import Share
from .selectors import is_custodian


def _require_custodian(actor: User, recording: Recording) -> None:
    if not is_custodian(actor=actor, recording=recording):
        raise Forbidden(_("Only the student teacher or their supervisor manages access."))


@transaction.atomic
def share_grant(*, actor: User, recording: Recording, username: str, now: datetime) -> Share:
    """Share with one of the owner's own trainers or supervisors; idempotent.

    A supervisor only at the school where it was recorded: one at the school the student
    teacher moved to would see nothing through the share (the visibility rule), yet be
    listed as having access.
    """
    _require_custodian(actor, recording)
    # The same list the share form offers (access.shareable_users).
    user = shareable_users(recording=recording).filter(username=username).first()
    if user is None:
        raise Invalid(
            _(
                "%(username)s is not one of the student teacher's own trainers or "
                "supervisors; only they can be added."
            )
            % {"username": username}
        )
    share, created = Share.objects.get_or_create(
        recording=recording, user=user, defaults={"granted_by": actor, "granted_at": now}
    )
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.RECORDING_SHARE,
            obj=recording,
            now=now,
            purpose="coaching",
            data={"with": username},
        )
        notification_send(
            recipient=user,
            kind=NotificationKind.SHARED,
            recording_id=recording.pk,
            actor=actor,
            now=now,
        )
    return share


@transaction.atomic
def share_revoke(*, actor: User, recording: Recording, username: str, now: datetime) -> None:
    """Take a share back; revoking what was never shared is a no-op (still 204)."""
    _require_custodian(actor, recording)
    deleted, _ = Share.objects.filter(recording=recording, user__username=username).delete()
    if deleted:
        audit_record(
            actor=actor,
            action=AuditAction.RECORDING_UNSHARE,
            obj=recording,
            now=now,
            data={"with": username},
        )


def shares_revoke_outside_enrolment(
    *, enrolment: Enrolment, actor: User | None, now: datetime
) -> int:
    """Drop the shares of a student teacher's recordings with people no longer her trainers
    or supervisors (the visibility rule already hides them; this keeps re-adding someone
    from silently restoring old access). The people.enrolment_changed hook: runs inside the
    enrolment change's transaction."""
    keep = [*enrolment.trainers.all(), *enrolment.supervisors.all()]
    stale = (
        Share.objects.filter(recording__owner_id=enrolment.student_teacher_id)
        .exclude(user__in=keep)
        .select_related("recording", "user")
    )
    count = 0
    for share in stale:
        audit_record(
            actor=actor,
            action=AuditAction.RECORDING_UNSHARE,
            obj=share.recording,
            now=now,
            data={"with": share.user.username, "reason": "no longer assigned"},
        )
        share.delete()
        count += 1
    return count
