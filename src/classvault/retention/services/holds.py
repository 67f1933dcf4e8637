"""Legal holds (R4): the privacy officer keeps a recording past its expiry for a legal
obligation (a demand by police or justice). A held recording is skipped by the sweep and
cannot be deleted by hand."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Conflict, Invalid, NotVisible
from classvault.people.models import Role, User
from classvault.people.services import require_role
from classvault.recordings.models import Recording

from ..models import LegalHold
from .expiry import recording_retention_key_apply

PURPOSE = "legal_obligation"


def _lock(recording: Recording) -> Recording:
    locked = Recording.objects.select_for_update().filter(pk=recording.pk).first()
    if locked is None:
        raise NotVisible(_("No such recording."))
    return locked


@transaction.atomic
def legal_hold_place(
    *, actor: User, recording: Recording, reason: str, reference: str, now: datetime
) -> LegalHold:
    """Place a hold. 409 when one is active already; the reason is required (422).

    The recording's keys move to a retention key of its own, so the hold keeps no other
    recording's day key (and thereby its backups) alive.
    """
    require_role(actor, Role.PRIVACY_OFFICER)
    reason, reference = (reason or "").strip(), (reference or "").strip()
    if not reason:
        raise Invalid(_("Give the reason for the legal hold: the legal obligation it serves."))
    if len(reference) > 200:
        raise Invalid(_("The reference is longer than 200 characters."))
    locked = _lock(recording)
    if LegalHold.objects.filter(recording=locked, released_at__isnull=True).exists():
        raise Conflict(_("This recording is already under legal hold."))
    hold = LegalHold.objects.create(
        recording=locked, reason=reason, reference=reference, placed_by=actor, placed_at=now
    )
    # Keys first: the audit head is the last lock a transaction takes (audit_record).
    recording_retention_key_apply(recording=locked, now=now, actor=actor)
    audit_record(
        actor=actor,
        action=AuditAction.LEGAL_HOLD_PLACE,
        obj=locked,
        now=now,
        purpose=PURPOSE,
        data={"hold": str(hold.pk), "reason": reason, "reference": reference},
    )
    return hold


@transaction.atomic
def legal_hold_release(*, actor: User, recording: Recording, now: datetime) -> LegalHold:
    """Release the active hold; 409 when there is none.

    The keys go back under the key of the expiry day; a recording whose expiry has passed
    meanwhile is deleted by the next sweep.
    """
    require_role(actor, Role.PRIVACY_OFFICER)
    locked = _lock(recording)
    hold = LegalHold.objects.filter(recording=locked, released_at__isnull=True).first()
    if hold is None:
        raise Conflict(_("This recording is not under legal hold."))
    LegalHold.objects.filter(pk=hold.pk).update(released_at=now, released_by=actor)
    hold.released_at, hold.released_by = now, actor
    recording_retention_key_apply(recording=locked, now=now, actor=actor)
    audit_record(
        actor=actor,
        action=AuditAction.LEGAL_HOLD_RELEASE,
        obj=locked,
        now=now,
        purpose=PURPOSE,
        data={"hold": str(hold.pk)},
    )
    return hold
