"""Writes about recordings: create from an encrypted upload, process, block, delete."""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, PositiveSmallIntegerField, Q, When
from django.utils.translation import gettext as _

from classvault.audit.models import AuditEvent
from classvault.audit.services import audit_record
from classvault.consent.models import Pupil
from classvault.consent.selectors import pupils_get_for_school
from classvault.core import clock as core_clock
from classvault.core.exceptions import Conflict, Forbidden, Invalid
from classvault.people.models import Enrolment, Role, User
from classvault.people.selectors import guidelines_accepted
from classvault.retention.rules import expiry_for
from classvault.retention.services.expiry import recording_epoch_apply
from classvault.vault.blobs import blob_store
from classvault.vault.models import DataKey, Purpose
from classvault.vault.selectors import vault_open_file
from classvault.vault.services import vault_discard, vault_shred, vault_store, vault_writer

from . import media
from .models import Recording, RecordingPupil, RecordingStatus
from .uploads import EncryptedUpload

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
# A lease is renewed at most this often: one small write a minute while a transcode runs.
RENEW_EVERY = timedelta(minutes=1)
# Real failures (errors other than an unconvertible video) before a job is failed.
MAX_ATTEMPTS = 3
# A job whose worker keeps dying (killed for its memory, say) must not loop for ever:
# after this many takeovers of a lapsed lease it is failed, keeping its original.
MAX_TAKEOVERS = 5


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
) -> Recording:
    """Register an uploaded (already encrypted) recording, or throw the upload away.

    Checks consent for every pupil present (R2): a pupil without recording consent who is not
    attested out of view and sound refuses the whole upload (409). The deciding check is
    made on the pupils' locked rows in the transaction that creates the recording, so a
    withdrawal either comes first (409 here) or waits and then blocks the new recording.
    Whatever is refused, the encrypted upload is shredded: nothing is kept.
    ``in_same_transaction`` runs inside that transaction too: work that must commit with
    the recording or not at all (a resumable upload is used up by it).
    """
    try:
        return _recording_create(actor=actor, recording_id=recording_id, upload=upload,
                                 title=title, recorded_at=recorded_at, pupil_ids=pupil_ids,
                                 attested_ids=attested_ids, now=now,
                                 in_same_transaction=in_same_transaction)
    except BaseException:
        if upload is not None:
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


def _recording_create(*, actor, recording_id, upload, title, recorded_at, pupil_ids,
                      attested_ids, now, in_same_transaction) -> Recording:
    enrolment = recording_upload_allowed(actor=actor)
    if upload is None:
        raise Invalid(_("Choose a video file to upload."))
    title = title.strip()
    if not title:
        raise Invalid(_("Give the recording a title."))
    if recorded_at > now:
        raise Invalid(_("The recording date lies in the future."))
    expires_at = expiry_for(recorded_at=recorded_at, study_end=enrolment.study_end,
                            months=settings.CLASSVAULT_RETENTION_MONTHS)
    if expires_at <= now:
        raise Invalid(_("This recording would already be past its retention period "
                        "(%(expiry)s), so it may not be stored.")
                      % {"expiry": expires_at.isoformat()})
    present = pupils_get_for_school(school=enrolment.school,
                                    pupil_ids=list(pupil_ids) + list(attested_ids))
    attested = {str(p.pk) for p in pupils_get_for_school(school=enrolment.school,
                                                         pupil_ids=attested_ids)}
    # A quick refusal before the video is probed; the deciding check follows, locked.
    _refuse_without_consent({str(p.pk): p.recording_consent for p in present}, attested)
    try:
        with vault_open_file(object_id=recording_id, purpose=Purpose.ORIGINAL) as src:
            info = media.probe(src)
    except media.MediaError as exc:
        raise Invalid(_("The file is not a video that can be played: %(reason)s")
                      % {"reason": exc}) from exc
    with transaction.atomic():
        locked = _consent_locked([p.pk for p in present])
        # A pupil erased meanwhile counts as one without consent.
        _refuse_without_consent({str(p.pk): locked.get(str(p.pk), False) for p in present},
                                attested)
        recording = Recording.objects.create(
            id=recording_id, owner=actor, school=enrolment.school, title=title[:200],
            recorded_at=recorded_at, expires_at=expires_at, created_at=now,
            original_size=upload.size, duration_seconds=info.duration_seconds or None,
        )
        RecordingPupil.objects.bulk_create(
            RecordingPupil(recording=recording, pupil=p, attested_out_of_view=str(p.pk) in attested)
            for p in present
        )
        audit_record(actor=actor, action="recording.create", obj=recording, now=now,
                     purpose="coaching",
                     data={"pupils": len(present) - len(attested), "size": upload.size})
        for pupil_id in sorted(attested):
            # Logged per pupil, so the pupil's access report finds it (R12).
            audit_record(actor=actor, action="recording.attest_out_of_view",
                         object_type="pupil", object_id=pupil_id, now=now,
                         data={"recording": recording_id})
        # The upload's key moves from its own retention key to its expiry day's (R9).
        recording_epoch_apply(recording=recording, now=now, actor=actor)
        if in_same_transaction is not None:
            in_same_transaction()
        transaction.on_commit(lambda: _enqueue_processing(recording_id))
    return recording


def _consent_locked(pupil_ids: list) -> dict[str, bool]:
    """The recording consent of these pupils, read with their rows locked until commit.

    A withdrawal locks and changes the same row (``consent_withdraw``), so the two run one
    after the other: on PostgreSQL through the row locks (taken in id order, so two uploads
    cannot deadlock), on SQLite because every transaction begins IMMEDIATE (settings.py) and
    so holds the single write lock from its first statement on.
    """
    rows = (Pupil.objects.select_for_update(of=("self",)).filter(pk__in=pupil_ids)
            .order_by("pk").values_list("pk", "recording_consent"))
    return {str(pk): consent for pk, consent in rows}


def _refuse_without_consent(consent: dict[str, bool], attested: set[str]) -> None:
    lacking = [pk for pk, given in consent.items() if pk not in attested and not given]
    if lacking:
        raise Conflict(_("Pupils without consent to be recorded were present. Record "
                         "without them, or attest they were kept out of view and sound."),
                       pupils_without_consent=lacking)


def _enqueue_processing(recording_id: str) -> None:
    from .jobs import process_recording

    process_recording.enqueue(recording_id)


class LeaseLost(Exception):
    """Another worker took the job over: this one stops and leaves everything to it."""


class _Lease:
    """One worker's hold on a recording's transcoding job, renewed while the work goes on.

    ``clock`` tells the time as the job progresses (a test passes one it advances by hand).
    A renewal, at most every RENEW_EVERY, moves ``lease_until`` on, but only while the token
    is still the recording's: once another worker took over, renewing raises LeaseLost.
    """

    def __init__(self, recording_id: str, token: uuid.UUID, clock: Callable[[], datetime],
                 taken_at: datetime) -> None:
        self.recording_id = recording_id
        self.token = token
        self.clock = clock
        self.renewed_at = taken_at

    def renew(self, *, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self.renewed_at < RENEW_EVERY:
            return
        with transaction.atomic():
            held = Recording.objects.filter(
                pk=self.recording_id, lease_token=self.token,
            ).update(lease_until=now + LEASE)
        if not held:
            raise LeaseLost(self.recording_id)
        self.renewed_at = now


def _take_lease(recording_id: str, now: datetime) -> uuid.UUID | None:
    """Claim the job if nobody holds it: a fresh token, or None.

    Taking over a lease that lapsed (its worker died or hung) counts as a takeover, not as a
    failed attempt; a lease released after a real failure (NULL) counts as neither.
    """
    token = uuid.uuid4()
    with transaction.atomic():
        taken = (
            Recording.objects.filter(pk=recording_id, status=RecordingStatus.PROCESSING)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .update(lease_until=now + LEASE, lease_token=token,
                    takeovers=Case(When(lease_until__isnull=False,
                                        then=F("takeovers") + 1),
                                   default=F("takeovers"),
                                   output_field=PositiveSmallIntegerField()))
        )
    return token if taken else None


def _status(recording_id) -> str:
    current = Recording.objects.filter(pk=recording_id).values_list("status", flat=True)
    return current.first() or "gone"


def recording_process(*, recording_id: str, now: datetime,
                      clock: Callable[[], datetime] | None = None) -> str:
    """Transcode the original into the playable rendition and take a poster still.

    Idempotent and safe against a killed worker: the job holds a lease on the recording,
    renewed from the transcode's progress while it runs (``clock`` tells the time then; by
    default the real clock). A second worker skips it while the lease holds and takes it
    over once it lapsed; the first, should it still run, finds its lease gone at its next
    renewal and stops without storing anything. A takeover deletes nothing: each worker
    removes its own unfinished files when it stops, and what a killed one left half-written
    (only ever ciphertext) is purged once the job is over. Only real failures count as
    failed attempts: a video that cannot be converted fails at once, another error after
    MAX_ATTEMPTS tries; a job whose worker keeps dying fails after MAX_TAKEOVERS takeovers.
    A failed job keeps the original. Returns the recording's status afterwards ("gone" if
    it was deleted meanwhile).
    """
    token = _take_lease(recording_id, now)
    if token is None:
        return _status(recording_id)
    lease = _Lease(recording_id, token, clock or core_clock.now, now)
    recording = Recording.objects.get(pk=recording_id)
    if recording.attempts >= MAX_ATTEMPTS:
        return _fail(recording, token, _("Converting the video failed repeatedly."), now)
    if recording.takeovers > MAX_TAKEOVERS:
        return _fail(recording, token, _("Converting the video was interrupted too often."),
                     now)
    object_id = str(recording.pk)
    rendition = None
    try:
        with vault_open_file(object_id=object_id, purpose=Purpose.ORIGINAL) as src, \
                vault_writer(object_id=object_id, purpose=Purpose.RENDITION,
                             now=now) as dst:
            media.transcode(src, dst, progress=lambda fraction: lease.renew())
            # Still ours? Then the rendition is stored; if not, it is thrown away unstored.
            lease.renew(force=True)
        rendition = dst.result
        with vault_open_file(object_id=object_id, purpose=Purpose.RENDITION) as src:
            still = media.poster(src)
        lease.renew(force=True)
        poster = vault_store(object_id=object_id, purpose=Purpose.POSTER, chunks=[still],
                             now=now)
    except LeaseLost:
        log.info("Recording %s: another worker took the transcode over; this one stops.",
                 recording_id)
        if rendition is not None:  # stored before the loss was noticed: not ours to keep
            with transaction.atomic():
                for data_key in DataKey.objects.filter(pk=rendition.data_key_id):
                    vault_discard(data_key=data_key, now=now)
        return _status(recording_id)
    except media.MediaError as exc:
        return _fail(recording, token, str(exc), now)
    except Exception:
        log.exception("Transcoding recording %s failed; it is tried again.", recording_id)
        if _count_failure(recording, token, now) == RecordingStatus.FAILED:
            return RecordingStatus.FAILED
        raise
    return _finish(recording, token, rendition, poster, now)


def _finish(recording: Recording, token: uuid.UUID, rendition, poster, now: datetime) -> str:
    """Mark ready if this worker still holds the lease; else throw its own work away."""
    ours = [rendition.data_key_id, poster.data_key_id]
    with transaction.atomic():
        updated = Recording.objects.filter(
            pk=recording.pk, status=RecordingStatus.PROCESSING, lease_token=token,
        ).update(status=RecordingStatus.READY, rendition_size=rendition.plaintext_size,
                 lease_until=None, lease_token=None)
        if updated:
            # Renditions or posters a dead attempt managed to store are superseded now.
            _discard_derived(recording, now, keep=ours)
            audit_record(actor=None, action="recording.ready", obj=recording, now=now)
            transaction.on_commit(lambda: _purge_unfinished(recording))
            return RecordingStatus.READY
        status = _status(recording.pk)
        if status == RecordingStatus.PROCESSING:
            # Taken over between the last renewal and now: the new holder's work counts.
            for data_key in DataKey.objects.filter(pk__in=ours):
                vault_discard(data_key=data_key, now=now)
    return status


def _discard_derived(recording: Recording, now: datetime, keep=()) -> None:
    """Shred the recording's renditions and posters (not the ones in ``keep``)."""
    derived = (DataKey.objects.filter(object_id=str(recording.pk), destroyed_at__isnull=True,
                                      purpose__in=[Purpose.RENDITION, Purpose.POSTER])
               .exclude(pk__in=list(keep)))
    for data_key in derived:
        vault_discard(data_key=data_key, now=now)


def _purge_unfinished(recording: Recording) -> None:
    """Remove what killed workers left half-written, once the job is over.

    Not at a takeover: the old worker may still be writing then. Once the recording left
    ``processing`` any worker still at it lost its lease and stops at its next renewal, and
    its files are of no use to anyone.
    """
    try:
        blob_store().purge_unfinished(str(recording.pk))
    except OSError:
        log.exception("Removing unfinished files of recording %s failed.", recording.pk)


def _count_failure(recording: Recording, token: uuid.UUID, now: datetime) -> str:
    """A real failure: count it and release the lease for a retry, or fail at the cap."""
    with transaction.atomic():
        row = (Recording.objects.select_for_update()
               .filter(pk=recording.pk, lease_token=token, status=RecordingStatus.PROCESSING)
               .values_list("attempts", flat=True).first())
        if row is None:
            return _status(recording.pk)
        if row + 1 >= MAX_ATTEMPTS:
            Recording.objects.filter(pk=recording.pk).update(attempts=row + 1)
            return _fail(recording, token, _("Converting the video failed repeatedly."), now)
        Recording.objects.filter(pk=recording.pk).update(
            attempts=row + 1, lease_until=None, lease_token=None)
    return RecordingStatus.PROCESSING


def _fail(recording: Recording, token: uuid.UUID, reason: str, now: datetime) -> str:
    """Mark failed and say why; the original stays, so the lesson is not lost.

    Only the lease holder fails a job. Partial renditions and posters are shredded (keys
    first, blobs after commit); the original goes when the recording expires or is deleted,
    like any other.
    """
    with transaction.atomic():
        failed = Recording.objects.filter(
            pk=recording.pk, lease_token=token, status=RecordingStatus.PROCESSING,
        ).update(status=RecordingStatus.FAILED, failure_reason=reason[:300],
                 lease_until=None, lease_token=None)
        if not failed:
            return _status(recording.pk)
        _discard_derived(recording, now)
        audit_record(actor=None, action="recording.failed", obj=recording, now=now,
                     data={"reason": reason[:300]})
        transaction.on_commit(lambda: _purge_unfinished(recording))
    return RecordingStatus.FAILED


def recordings_resume(*, now: datetime) -> list[str]:
    """Queue every recording still processing whose lease lapsed (a worker died)."""
    stalled = list(
        Recording.objects.filter(status=RecordingStatus.PROCESSING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .values_list("pk", flat=True)
    )
    for pk in stalled:
        _enqueue_processing(str(pk))
    return [str(pk) for pk in stalled]


@transaction.atomic
def recording_delete(*, actor: User, recording: Recording, now: datetime) -> None:
    """Delete by hand (owner or custodian supervisor); 409 under legal hold.

    DANGEROUS, in this order (the same code as the retention sweep, ``recording_destroy``):
    in one transaction the data keys are destroyed first (every copy of the blobs, backups
    included, becomes noise), then a tombstone and one audit event are written and the rows
    (presences, shares, comments, screenings) go with the recording; the blobs are removed
    after commit, and by the next sweep if that is interrupted.
    """
    from classvault.retention.models import TombstoneReason
    from classvault.retention.services import recording_destroy
    from classvault.sharing.selectors import is_custodian

    if not is_custodian(actor=actor, recording=recording):
        raise Forbidden(_("Only the student teacher or their supervisor may delete this."))
    recording_destroy(recording_id=recording.pk, actor=actor, reason=TombstoneReason.DELETED,
                      now=now)


def recordings_block_for_withdrawal(*, pupil, scope: str, record, actor: User,
                                    now: datetime) -> None:
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
    for recording in affected:
        Recording.objects.filter(pk=recording.pk).update(status=RecordingStatus.BLOCKED)
        audit_record(actor=actor, action="recording.block", obj=recording, now=now,
                     purpose="consent_withdrawal", data={"pupil": str(pupil.pk)})
        transaction.on_commit(lambda r=recording: _tell_owner_blocked(r))


def _tell_owner_blocked(recording: Recording) -> None:
    from django.core.mail import send_mail

    owner = recording.owner
    if not owner.email:
        return
    # No pupil's name in the mail: the owner sees which recording, not who withdrew.
    send_mail(
        subject=_("ClassVault: a recording of yours is blocked"),
        message=_("A pupil who appears in your recording \"%(title)s\" has withdrawn consent. "
                  "The recording can no longer be watched. Ask the privacy officer to have it "
                  "redacted, or delete it.") % {"title": recording.title},
        from_email=None, recipient_list=[owner.email], fail_silently=True,
    )


STREAM_SESSION = timedelta(minutes=30)


def recording_stream_audit(*, actor: User, recording: Recording, from_start: bool,
                           purpose: str, now: datetime) -> bool:
    """Log a playback: once when it starts, not for every seek (R4, every access audited).

    A request from byte 0 (or of the whole file) starts a playback; any other range is a
    seek, logged too unless this person's playback of this recording was logged in the last
    half hour, so no range request can ever read without a trace. True when it logged.
    """
    if not from_start and AuditEvent.objects.filter(
            action="recording.stream", object_id=str(recording.pk),
            actor=actor.get_username(), at__gte=now - STREAM_SESSION).exists():
        return False
    with transaction.atomic():
        audit_record(actor=actor, action="recording.stream", obj=recording, now=now,
                     purpose=purpose)
    return True


ORPHAN_AGE = timedelta(days=1)


def recording_orphans_shred(*, now: datetime) -> list[str]:
    """Shred stored objects of recordings that were never created (a process killed between
    storing an upload and registering it). A safety net for the schedule: normally a refused
    upload is shredded at once. Only objects older than a day: an upload in flight is safe.
    """
    candidates = set(
        DataKey.objects.filter(destroyed_at__isnull=True, created_at__lt=now - ORPHAN_AGE,
                               object_id__regex=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                                r"[0-9a-f]{4}-[0-9a-f]{12}$")
        .values_list("object_id", flat=True))
    known = {str(pk) for pk in Recording.objects.filter(pk__in=candidates)
             .values_list("pk", flat=True)}
    orphans = sorted(candidates - known)
    for object_id in orphans:
        recording_upload_discard(recording_id=object_id, actor=None, now=now)
    return orphans
