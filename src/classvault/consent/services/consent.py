"""Giving and withdrawing consent: one appended record, the new current state, one audit event.

Nothing here (or anywhere) changes or deletes a consent record; the database refuses it
too (migration 0002). Audit events name pupils by their opaque id only, never by name: the
audit log can never be erased, a pupil's name must be.
"""

from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Conflict, Invalid
from classvault.core.time import today_in_amsterdam
from classvault.people.models import Role, User
from classvault.people.services import require_role

from .. import selectors
from ..models import (
    ConsentKind,
    ConsentRecord,
    Pupil,
    ReceivedHow,
    Signer,
    StatementVersion,
    WithdrawalScope,
)
from ..rules import age_on, signer_required
from .hooks import consent_withdrawn

# --- validation shared by giving and withdrawing ----------------------------------------


def _check_signed_on(*, pupil: Pupil, day: date, now: datetime, withdrawal: bool) -> None:
    if day > today_in_amsterdam(now):
        message = (
            _(
                "The withdrawal date %(day)s lies in the future. Use the day the pupil "
                "or guardian came in person."
            )
            if withdrawal
            else _("The signing date %(day)s lies in the future. Use the date on the form.")
        )
        raise Invalid(message % {"day": day.isoformat()})
    if day < pupil.date_of_birth:
        message = (
            _(
                "The withdrawal date %(day)s lies before the pupil's date of birth. "
                "Check both dates."
            )
            if withdrawal
            else _(
                "The signing date %(day)s lies before the pupil's date of birth. Check both dates."
            )
        )
        raise Invalid(message % {"day": day.isoformat()})


def _check_signer(*, pupil: Pupil, signer: str, signer_name: str, day: date) -> None:
    if signer not in Signer.values:
        raise Invalid(_("The signer must be 'pupil' or 'guardian'."))
    if not signer_name.strip():
        raise Invalid(_("Fill in the name of the person who signed."))
    required = signer_required(pupil.date_of_birth, day)
    if signer != required:
        age = age_on(pupil.date_of_birth, day)
        if required == Signer.GUARDIAN:
            raise Invalid(
                _("The pupil was %(age)d on %(day)s: under 16, a parent or guardian must sign.")
                % {"age": age, "day": day.isoformat()}
            )
        raise Invalid(
            _(
                "The pupil was %(age)d on %(day)s: from 16, the pupil signs "
                "personally, not a parent or guardian."
            )
            % {"age": age, "day": day.isoformat()}
        )


def _current_statement() -> StatementVersion:
    statement = selectors.statement_current()
    if statement is None:
        raise Conflict(
            _(
                "No privacy statement has been published, so no consent can be "
                "registered. Ask the privacy officer to publish one."
            )
        )
    return statement


def _lock(pupil: Pupil) -> Pupil:
    # Two registrations for one pupil must not both read the same current state.
    # of=self: lock the pupil's row only, not the joined school's (that would serialise a
    # whole school's registrations on PostgreSQL).
    return Pupil.objects.select_for_update(of=("self",)).select_related("school").get(pk=pupil.pk)


def _next_seq(pupil: Pupil) -> int:
    last = (
        ConsentRecord.objects.filter(pupil=pupil)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return (last or 0) + 1


@transaction.atomic
def consent_give(
    *,
    actor: User,
    pupil_id: str,
    recording: bool,
    peer_viewing: bool,
    given_by: str,
    signer_name: str,
    signed_on: date,
    now: datetime,
    received_how: str = ReceivedHow.PAPER_FORM,
) -> ConsentRecord:
    """Register a signed consent form; the pupil's consent becomes what the form says.

    A form can add consent but not take it away: withdrawing is done in person (R14), with
    :func:`consent_withdraw`. A form signed before the latest withdrawal is out of date.
    """
    require_role(actor, Role.SCHOOL_ADMIN)
    pupil = _lock(selectors.pupil_get_managed(actor=actor, pupil_id=pupil_id))
    _check_signed_on(pupil=pupil, day=signed_on, now=now, withdrawal=False)
    _check_signer(pupil=pupil, signer=given_by, signer_name=signer_name, day=signed_on)
    if peer_viewing and not recording:
        raise Invalid(
            _(
                "Showing to fellow students needs consent to record as well. Tick "
                "both, or only recording."
            )
        )
    if received_how not in ReceivedHow.values:
        raise Invalid(
            _("Say how the form was received: %(choices)s.")
            % {"choices": ", ".join(ReceivedHow.values)}
        )
    if (pupil.recording_consent and not recording) or (
        pupil.peer_viewing_consent and not peer_viewing
    ):
        raise Conflict(
            _(
                "This form gives less consent than the pupil has now. Consent can "
                "only be withdrawn in person: register a withdrawal instead."
            )
        )
    last_withdrawal = (
        ConsentRecord.objects.filter(pupil=pupil, kind=ConsentKind.WITHDRAW)
        .order_by("-signed_on")
        .values_list("signed_on", flat=True)
        .first()
    )
    # A form of the withdrawal's own day may predate it (dates have no time): only a form
    # signed after the withdrawal can reinstate consent.
    if last_withdrawal is not None and signed_on <= last_withdrawal:
        raise Conflict(
            _(
                "This form was signed on or before the day consent was withdrawn "
                "(%(day)s). A new form, signed after that day, is needed."
            )
            % {"day": last_withdrawal.isoformat()}
        )
    statement = _current_statement()
    record = ConsentRecord.objects.create(
        pupil=pupil,
        seq=_next_seq(pupil),
        kind=ConsentKind.GIVE,
        recording=recording,
        peer_viewing=peer_viewing,
        given_by=given_by,
        signer_name=signer_name.strip(),
        signed_on=signed_on,
        received_how=received_how,
        statement_version=statement,
        registered_by=actor,
        registered_at=now,
    )
    Pupil.objects.filter(pk=pupil.pk).update(
        recording_consent=recording, peer_viewing_consent=peer_viewing, updated_at=now
    )
    pupil.recording_consent, pupil.peer_viewing_consent = recording, peer_viewing
    audit_record(
        actor=actor,
        action=AuditAction.CONSENT_GIVE,
        obj=pupil,
        now=now,
        data={
            "record": str(record.pk),
            "recording": recording,
            "peer_viewing": peer_viewing,
            "given_by": given_by,
            "signed_on": signed_on.isoformat(),
            "received_how": received_how,
            "statement_version": statement.version,
        },
    )
    return record


@transaction.atomic
def consent_withdraw(
    *,
    actor: User,
    pupil_id: str,
    scope: str,
    by: str,
    signer_name: str,
    verified_in_person: bool,
    on: date,
    now: datetime,
) -> ConsentRecord:
    """Register a withdrawal made in person (R14): of all consent, or of peer viewing only.

    The school admin of the pupil's school or the privacy officer registers it. Effects on
    recordings run through the :data:`consent_withdrawn` hook in this same transaction.
    """
    require_role(actor, Role.SCHOOL_ADMIN, Role.PRIVACY_OFFICER)
    pupil = _lock(selectors.pupil_get_managed(actor=actor, pupil_id=pupil_id))
    if verified_in_person is not True:
        raise Invalid(
            _(
                "Consent can only be withdrawn in person. Check who the person is, "
                "then confirm with verified_in_person."
            )
        )
    if scope not in WithdrawalScope.values:
        raise Invalid(_("The scope must be 'all' or 'peer_viewing'."))
    _check_signed_on(pupil=pupil, day=on, now=now, withdrawal=True)
    _check_signer(pupil=pupil, signer=by, signer_name=signer_name, day=on)
    if scope == WithdrawalScope.ALL:
        if not pupil.recording_consent:
            raise Conflict(_("This pupil has no consent to withdraw."))
        recording, peer_viewing = False, False
    else:
        if not pupil.peer_viewing_consent:
            raise Conflict(
                _("This pupil has no consent for showing to fellow students to withdraw.")
            )
        recording, peer_viewing = pupil.recording_consent, False
    given_on = (
        ConsentRecord.objects.filter(pupil=pupil, kind=ConsentKind.GIVE)
        .order_by("-seq")
        .values_list("signed_on", flat=True)
        .first()
    )
    if given_on is not None and on < given_on:
        raise Invalid(
            _(
                "The withdrawal date %(day)s lies before the consent it withdraws "
                "was signed (%(signed)s). Check both dates."
            )
            % {"day": on.isoformat(), "signed": given_on.isoformat()}
        )
    statement = _current_statement()
    record = ConsentRecord.objects.create(
        pupil=pupil,
        seq=_next_seq(pupil),
        kind=ConsentKind.WITHDRAW,
        scope=scope,
        recording=recording,
        peer_viewing=peer_viewing,
        given_by=by,
        signer_name=signer_name.strip(),
        signed_on=on,
        received_how=ReceivedHow.IN_PERSON,
        verified_in_person=True,
        statement_version=statement,
        registered_by=actor,
        registered_at=now,
    )
    Pupil.objects.filter(pk=pupil.pk).update(
        recording_consent=recording, peer_viewing_consent=peer_viewing, updated_at=now
    )
    pupil.recording_consent, pupil.peer_viewing_consent = recording, peer_viewing
    # The effects first: the audit head is the last lock a transaction takes (audit_record).
    consent_withdrawn.run(pupil=pupil, scope=scope, record=record, actor=actor, now=now)
    audit_record(
        actor=actor,
        action=AuditAction.CONSENT_WITHDRAW,
        obj=pupil,
        now=now,
        data={
            "record": str(record.pk),
            "scope": scope,
            "by": by,
            "on": on.isoformat(),
            "recording": recording,
            "peer_viewing": peer_viewing,
            "statement_version": statement.version,
        },
    )
    return record
