"""Writes about recordings: create from an upload, block after a withdrawal, log playbacks."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.models import AuditEvent
from classvault.audit.services import audit_record
from classvault.consent.models import Pupil
from classvault.consent.selectors import pupils_get_for_school
from classvault.core.display import date_text
from classvault.core.exceptions import Conflict, Forbidden, Invalid
from classvault.people.models import Enrolment, Role, User
from classvault.people.selectors import guidelines_accepted
from classvault.vault.purposes import Purpose
from classvault.vault.selectors import vault_objects_live, vault_open_file
from classvault.vault.services import vault_shred

from . import media
from .hooks import recording_created
from .jobs import processing_enqueue
from .models import Recording, RecordingPupil, RecordingStatus, Upload
from .quota import quota_check, storage_lock
from .rules import expiry_for
from .uploads import EncryptedUpload

log = logging.getLogger(__name__)

TITLE_MAX = Recording._meta.get_field("title").max_length


class NotAVideo(Invalid):
    """The upload is no video that can be played (422): no second try can mend it."""


def recording_upload_allowed(*, actor: User) -> Enrolment:
    """What must hold before a single byte of an upload is read (R1): a placed student
    teacher who accepted the current guidelines."""
    if actor.role != Role.STUDENT_TEACHER:
        raise Forbidden(_("Only student teachers record lessons."))
    enrolment = Enrolment.objects.select_related("school").filter(student_teacher=actor).first()
    if enrolment is None:
        raise Conflict(_("You are not placed at a school yet; the institute does this."))
    if not guidelines_accepted(user=actor):
        raise Conflict(_("Accept the recording guidelines before your first recording."))
    return enrolment


def recording_create(
    *,
    actor: User,
    recording_id: str,
    upload: EncryptedUpload | None,
    title: str,
    recorded_at: datetime,
    pupil_ids: list[str],
    attested_ids: list[str],
    now: datetime,
    in_same_transaction: Callable[[], None] | None = None,
    discard_on_refusal: bool = True,
) -> Recording:
    """Register an uploaded (already encrypted) recording, or throw the upload away.

    Checks consent for every pupil present (R2): a pupil without recording consent who is not
    attested out of view and sound refuses the whole upload (409). The deciding check is
    made on the pupils' locked rows in the transaction that creates the recording, so a
    withdrawal either comes first (409 here) or waits and then blocks the new recording.
    Whatever is refused, the encrypted upload is shredded: nothing is kept.
    ``in_same_transaction`` runs inside that transaction too: work that must commit with
    the recording or not at all (a resumable upload is used up by it).
    ``discard_on_refusal=False`` keeps the stored original when refused: a resumable upload
    keeps its parts, so the student teacher can correct the details and complete again.
    """
    try:
        return _recording_create(
            actor=actor,
            recording_id=recording_id,
            upload=upload,
            title=title,
            recorded_at=recorded_at,
            pupil_ids=pupil_ids,
            attested_ids=attested_ids,
            now=now,
            in_same_transaction=in_same_transaction,
        )
    except BaseException:
        if upload is not None and discard_on_refusal:
            recording_upload_discard(recording_id=recording_id, actor=actor, now=now)
        raise


def recording_upload_discard(*, recording_id: str, actor: User | None, now: datetime) -> None:
    """Shred whatever was stored for a recording that was not created (refused upload).

    DANGEROUS only in name: there is no recording row, so nothing else refers to it; keys
    first, blobs after commit (vault_shred).
    """
    if Recording.objects.filter(pk=recording_id).exists():
        return
    with transaction.atomic():
        vault_shred(object_id=recording_id, now=now, actor=actor)


def _recording_create(
    *,
    actor,
    recording_id,
    upload,
    title,
    recorded_at,
    pupil_ids,
    attested_ids,
    now,
    in_same_transaction,
) -> Recording:
    enrolment = recording_upload_allowed(actor=actor)
    if upload is None:
        raise Invalid(_("Choose a video file to upload."))
    title, expires_at = _details_checked(
        enrolment=enrolment, title=title, recorded_at=recorded_at, now=now
    )
    present, attested = _present(
        enrolment=enrolment, pupil_ids=pupil_ids, attested_ids=attested_ids
    )
    # A quick refusal before the video is probed; the deciding check follows, locked.
    _refuse_without_consent({str(p.pk): p.recording_consent for p in present}, attested)
    try:
        with vault_open_file(object_id=recording_id, purpose=Purpose.ORIGINAL) as src:
            info = media.probe(src)
    except media.MediaError as exc:
        raise NotAVideo(
            _("The file is not a video that can be played: %(reason)s") % {"reason": exc}
        ) from exc
    duration_check(info.duration_seconds)
    with transaction.atomic():
        # A resumable upload is used up first: a completion that lost its claim meanwhile
        # stops here, before it could make a second recording of the same upload.
        if in_same_transaction is not None:
            in_same_transaction()
        # The deciding quota check, her row locked: uploads completing at once are decided
        # one after the other (413; a resumable upload keeps its parts).
        storage_lock(owner=actor)
        quota_check(owner=actor, adding=upload.size, now=now)
        locked = _consent_locked([p.pk for p in present])
        # A pupil erased meanwhile counts as one without consent.
        _refuse_without_consent(
            {str(p.pk): locked.get(str(p.pk), False) for p in present}, attested
        )
        recording = Recording.objects.create(
            id=recording_id,
            owner=actor,
            school=enrolment.school,
            title=title,
            recorded_at=recorded_at,
            expires_at=expires_at,
            created_at=now,
            original_size=upload.size,
            duration_seconds=info.duration_seconds or None,
        )
        RecordingPupil.objects.bulk_create(
            RecordingPupil(recording=recording, pupil=p, attested_out_of_view=str(p.pk) in attested)
            for p in present
        )
        # Retention moves the upload's key from its own retention key to its expiry day's,
        # before the audit events: the audit head is the last lock a transaction takes
        # (audit_record), else this and a worker storing a key under the same day's
        # retention key deadlock on PostgreSQL.
        recording_created.run(recording=recording, now=now, actor=actor)
        audit_record(
            actor=actor,
            action=AuditAction.RECORDING_CREATE,
            obj=recording,
            now=now,
            purpose="coaching",
            data={"pupils": len(present) - len(attested), "size": upload.size},
        )
        for pupil_id in sorted(attested):
            # Logged per pupil, so the pupil's access report finds it (R12).
            audit_record(
                actor=actor,
                action=AuditAction.RECORDING_ATTEST_OUT_OF_VIEW,
                object_type="pupil",
                object_id=pupil_id,
                now=now,
                data={"recording": recording_id},
            )
        transaction.on_commit(lambda: processing_enqueue(recording_id))
    return recording


def _details_checked(*, enrolment, title: str, recorded_at: datetime, now: datetime):
    """(the title stripped, the expiry) of a recording about to be stored; 422 otherwise."""
    title = title.strip()
    if not title:
        raise Invalid(_("Give the recording a title."))
    if len(title) > TITLE_MAX:
        raise Invalid(
            _("The title is longer than %(max)s characters; shorten it.") % {"max": TITLE_MAX}
        )
    if recorded_at > now:
        raise Invalid(_("The recording date lies in the future."))
    expires_at = expiry_for(
        recorded_at=recorded_at,
        study_end=enrolment.study_end,
        months=settings.CLASSVAULT_RETENTION_MONTHS,
    )
    if expires_at <= now:
        raise Invalid(
            _(
                "The retention period of this recording already ended on %(expiry)s, "
                "so it may not be stored."
            )
            % {"expiry": date_text(expires_at)}
        )
    return title, expires_at


def _present(*, enrolment, pupil_ids, attested_ids):
    present = pupils_get_for_school(
        school=enrolment.school, pupil_ids=list(pupil_ids) + list(attested_ids)
    )
    attested = {
        str(p.pk) for p in pupils_get_for_school(school=enrolment.school, pupil_ids=attested_ids)
    }
    return present, attested


def recording_precheck(
    *,
    actor: User,
    title: str,
    recorded_at: datetime,
    pupil_ids: list[str],
    attested_ids: list[str],
    duration_seconds: float | None = None,
    now: datetime,
) -> None:
    """Every check of :func:`recording_create` that needs no video, made before a byte is
    sent: role, placement and guidelines (403/409), title and date (422), consent of every
    pupil present (409 with ``pupils_without_consent``), the announced duration (422).
    :func:`recording_create` makes them again at the end (consent on locked rows), since
    consent can be withdrawn while the upload runs."""
    enrolment = recording_upload_allowed(actor=actor)
    _details_checked(enrolment=enrolment, title=title, recorded_at=recorded_at, now=now)
    duration_check(duration_seconds)
    present, attested = _present(
        enrolment=enrolment, pupil_ids=pupil_ids, attested_ids=attested_ids
    )
    _refuse_without_consent({str(p.pk): p.recording_consent for p in present}, attested)


def duration_check(duration_seconds: float | None) -> None:
    """A recording longer than ``CLASSVAULT_MAX_RECORDING_SECONDS`` is refused (422)."""
    limit = settings.CLASSVAULT_MAX_RECORDING_SECONDS
    if duration_seconds is not None and duration_seconds > limit:
        raise Invalid(
            _(
                "The recording is longer than %(minutes)s minutes, the most ClassVault "
                "keeps. Shorten it first."
            )
            % {"minutes": limit // 60}
        )


def _consent_locked(pupil_ids: list) -> dict[str, bool]:
    """The recording consent of these pupils, read with their rows locked until commit.

    A withdrawal locks and changes the same row (``consent_withdraw``), so the two run one
    after the other: on PostgreSQL through the row locks (taken in id order, so two uploads
    cannot deadlock), on SQLite because every transaction begins IMMEDIATE (settings.py) and
    so holds the single write lock from its first statement on.
    """
    rows = (
        Pupil.objects.select_for_update(of=("self",))
        .filter(pk__in=pupil_ids)
        .order_by("pk")
        .values_list("pk", "recording_consent")
    )
    return {str(pk): consent for pk, consent in rows}


def _refuse_without_consent(consent: dict[str, bool], attested: set[str]) -> None:
    lacking = [pk for pk, given in consent.items() if pk not in attested and not given]
    if lacking:
        raise Conflict(
            _(
                "Pupils without consent to be recorded were present. Record "
                "without them, or attest they were kept out of view and sound."
            ),
            pupils_without_consent=lacking,
        )


def recordings_block_for_withdrawal(
    *, pupil, scope: str, record, actor: User, now: datetime
) -> None:
    """A pupil withdrew all consent (R14): block every recording they take part in.

    Runs inside the withdrawal's transaction, so the block and the withdrawal commit together;
    from then on the stream answers 409 for everyone. Attested pupils took no part: their
    recordings stay as they are. The owner is told by e-mail after commit.
    """
    if scope != "all":
        return
    affected = list(
        Recording.objects.filter(presences__pupil=pupil, presences__attested_out_of_view=False)
        .exclude(status__in=[RecordingStatus.BLOCKED, RecordingStatus.FAILED])
        .select_related("owner")
    )
    # Every row changed before the first audit event: the audit head is the last lock a
    # transaction takes (audit_record), or this deadlocks with a worker finishing one of them.
    Recording.objects.filter(pk__in=[r.pk for r in affected]).update(status=RecordingStatus.BLOCKED)
    for recording in affected:
        audit_record(
            actor=actor,
            action=AuditAction.RECORDING_BLOCK,
            obj=recording,
            now=now,
            purpose="consent_withdrawal",
            data={"pupil": str(pupil.pk)},
        )
        transaction.on_commit(lambda r=recording: _tell_owner_blocked(r))


def _tell_owner_blocked(recording: Recording) -> None:
    owner = recording.owner
    if not owner.email:
        return
    # No pupil's name in the mail: the owner sees which recording, not who withdrew.
    send_mail(
        subject=_("ClassVault: a recording of yours is blocked"),
        message=_(
            'A pupil who appears in your recording "%(title)s" has withdrawn consent. '
            "The recording can no longer be watched. Ask the privacy officer to have it "
            "redacted, or delete it."
        )
        % {"title": recording.title},
        from_email=None,
        recipient_list=[owner.email],
        fail_silently=True,
    )


ACCESS_ACTIONS = {"view": AuditAction.RECORDING_VIEW, "poster": AuditAction.RECORDING_POSTER}


def recording_access_record(
    *, actor: User, recording: Recording, what: str, purpose: str, now: datetime
) -> None:
    """Log that someone opened a recording ("view") or its still ("poster") with the purpose
    (R4, every access audited): the API and the player page alike."""
    with transaction.atomic():
        audit_record(
            actor=actor, action=ACCESS_ACTIONS[what], obj=recording, now=now, purpose=purpose
        )


STREAM_SESSION = timedelta(minutes=30)


def recording_stream_audit(
    *, actor: User, recording: Recording, from_start: bool, purpose: str, now: datetime
) -> bool:
    """Log a playback: once when it starts, not for every seek (R4, every access audited).

    A request from byte 0 (or of the whole file) starts a playback; any other range is a
    seek, logged too unless this person's playback of this recording was logged in the last
    half hour, so no range request can ever read without a trace. True when it logged.
    """
    if (
        not from_start
        and AuditEvent.objects.filter(
            action=AuditAction.RECORDING_STREAM,
            object_id=str(recording.pk),
            actor=actor.get_username(),
            at__gte=now - STREAM_SESSION,
        ).exists()
    ):
        return False
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.RECORDING_STREAM,
            obj=recording,
            now=now,
            purpose=purpose,
        )
    return True


ORPHAN_AGE = timedelta(days=1)


def recording_orphans_shred(*, now: datetime) -> list[str]:
    """Shred stored objects of recordings that were never created (a process killed between
    storing an upload and registering it). A safety net for the schedule: normally a refused
    upload is shredded at once. Only objects older than a day: an upload in flight is safe.
    """
    candidates = vault_objects_live(
        created_before=now - ORPHAN_AGE,
        object_id_regex=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
        r"[0-9a-f]{4}-[0-9a-f]{12}$",
    )
    known = {
        str(pk) for pk in Recording.objects.filter(pk__in=candidates).values_list("pk", flat=True)
    } | {
        # An upload still in progress is no orphan: its own discard or expiry shreds it.
        str(pk)
        for pk in Upload.objects.filter(recording_id__in=candidates).values_list(
            "recording_id", flat=True
        )
    }
    orphans = sorted(candidates - known)
    for object_id in orphans:
        recording_upload_discard(recording_id=object_id, actor=None, now=now)
    return orphans
