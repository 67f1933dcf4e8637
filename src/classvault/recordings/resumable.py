"""Resumable uploads and recordings made in the browser: encrypted into place as they arrive.

A two-hour lesson is several GB and school Wi-Fi drops. The browser starts an upload with
the recording's details (title, date, pupils present), so everything that needs no video is
checked before a byte is sent. It then sends fixed-size chunks in order, asks how far the
server got after an error and goes on from there; a retry of the same file (same
fingerprint) finds the same upload. A recording made in the browser (``live``) sends its
chunks while the lesson is being recorded, its size known only when it stops.

Every chunk is encrypted once, on arrival, as its part of the recording's original (a
parted vault object, vault/parts.py). Completing seals that object (time independent of its
size) and registers the recording; the consent check is made once more there, on locked
rows, since consent can be withdrawn while the upload runs.
"""

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from classvault.core.exceptions import Conflict, Invalid, NotVisible, TooLarge
from classvault.people.models import User
from classvault.vault.purposes import Purpose
from classvault.vault.services import (
    vault_part_write,
    vault_parted_begin,
    vault_parted_seal,
    vault_shred,
    vault_unfinished_purge,
)

from .models import Recording, Upload, UploadKind
from .quota import quota_check, storage_lock
from .services import (
    NotAVideo,
    duration_check,
    recording_create,
    recording_precheck,
    recording_upload_allowed,
)
from .uploads import EncryptedUpload

UPLOAD_LIFETIME = timedelta(hours=24)
# How long one chunk's write holds the upload; a chunk is a few MiB.
WRITE_CLAIM = timedelta(minutes=10)
# How long a completion's claim holds; sealing takes a moment whatever the size.
COMPLETE_CLAIM = timedelta(hours=1)


def _chunk_size(kind: str) -> int:
    """The server's chunk size: whole vault segments (1 MiB), or less than one segment."""
    wanted = (
        settings.CLASSVAULT_RECORD_CHUNK_BYTES
        if kind == UploadKind.LIVE
        else settings.CLASSVAULT_UPLOAD_CHUNK_BYTES
    )
    segment = 1 << 20
    return wanted if wanted < segment else max(segment, wanted - wanted % segment)


def _too_large() -> TooLarge:
    return TooLarge(
        _("The recording is larger than %(mb)s MiB, the most ClassVault takes; nothing was kept.")
        % {"mb": settings.CLASSVAULT_MAX_UPLOAD_BYTES // (1 << 20)}
    )


def upload_start(
    *,
    actor: User,
    size: int | None,
    filename: str,
    now: datetime,
    kind: str = UploadKind.FILE,
    fingerprint: str = "",
    title: str | None = None,
    recorded_at: datetime | None = None,
    pupil_ids: list[str] | None = None,
    attested_ids: list[str] | None = None,
    duration_seconds: float | None = None,
) -> tuple[Upload, bool]:
    """Check what can be checked before any byte and start (or find) the upload.

    Returns the upload and whether it is new: a file with the fingerprint of an open upload
    of the same size continues that upload. Refusals raise before anything is stored: 403 or
    409 (role, placement, guidelines), 409 with ``pupils_without_consent``, 422 (title, date,
    duration, size), 413 (larger than ``CLASSVAULT_MAX_UPLOAD_BYTES``, or more than fits in
    her ``CLASSVAULT_QUOTA_BYTES``).
    """
    recording_upload_allowed(actor=actor)
    if kind not in UploadKind.values:
        raise Invalid(_("kind must be file or live."))
    if kind == UploadKind.FILE:
        if size is None or size <= 0:
            raise Invalid(_("The file is empty."))
        if size > settings.CLASSVAULT_MAX_UPLOAD_BYTES:
            raise _too_large()
    else:
        size = None
    duration_check(duration_seconds)
    if kind == UploadKind.LIVE and recorded_at is None and title is not None:
        recorded_at = now  # recorded from now on, by the server's clock
    details = recorded_at is not None
    if details:
        recording_precheck(
            actor=actor,
            title=title or "",
            recorded_at=recorded_at,
            pupil_ids=pupil_ids or [],
            attested_ids=attested_ids or [],
            duration_seconds=duration_seconds,
            now=now,
        )
    fields = {"filename": filename[:255]}
    if details:
        fields |= {
            "title": (title or "").strip(),
            "recorded_at": recorded_at,
            "pupils": list(pupil_ids or []),
            "attested": list(attested_ids or []),
        }
    fingerprint = fingerprint[:200]
    if fingerprint and kind == UploadKind.FILE:
        existing = (
            Upload.objects.filter(
                owner=actor,
                kind=kind,
                fingerprint=fingerprint,
                size=size,
                expires_at__gt=now,
                finished=False,
            )
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            Upload.objects.filter(pk=existing.pk).update(**fields)
            existing.refresh_from_db()
            return existing, False
    recording_id, key_id = uuid.uuid4(), uuid.uuid4()
    chunk_size = _chunk_size(kind)
    with transaction.atomic():
        # Her quota decisions run one at a time: two uploads started at once cannot both
        # take the last free space. A live recording needs room for its first chunk.
        storage_lock(owner=actor)
        quota_check(owner=actor, adding=size or 0, now=now)
        upload = Upload.objects.create(
            owner=actor,
            kind=kind,
            size=size,
            fingerprint=fingerprint,
            chunk_size=chunk_size,
            created_at=now,
            expires_at=now + UPLOAD_LIFETIME,
            recording_id=recording_id,
            data_key_id=key_id,
            **fields,
        )
        # The key of the recording's original is made now; each chunk is encrypted with it
        # as it arrives. Its retention key is the object's own until the recording exists
        # (retention's policy), so discarding the upload leaves nothing readable anywhere.
        vault_parted_begin(
            object_id=str(recording_id),
            purpose=Purpose.ORIGINAL,
            part_size=chunk_size,
            now=now,
            key_id=key_id,
        )
    return upload, True


def upload_get(*, actor: User, upload_id: str, now: datetime) -> Upload:
    """The actor's own upload that has not expired; NotVisible otherwise."""
    upload = (
        Upload.objects.filter(pk=upload_id, owner=actor, expires_at__gt=now).first()
        if _is_uuid(upload_id)
        else None
    )
    if upload is None:
        raise NotVisible(_("No such upload."))
    return upload


def uploads_open(*, actor: User, now: datetime) -> list[Upload]:
    """The actor's uploads and recordings that were started and not completed, newest first:
    after a closed tab she decides to keep what was received or to discard it."""
    return list(Upload.objects.filter(owner=actor, expires_at__gt=now).order_by("-created_at"))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def upload_put_chunk(
    *,
    upload: Upload,
    start: int,
    pieces: Iterable[bytes],
    length: int,
    now: datetime,
    final: bool = False,
) -> int:
    """Encrypt the chunk that begins at ``start`` into place; return the bytes received.

    Chunks come in order and are whole (``chunk_size``), except the last: anything else is
    refused with the offset to resume from (409 or 422, ``received``), and nothing of it is
    kept. For a file the last chunk is the one that reaches its size; a live recording marks
    it ``final`` (possibly empty) when it stops.
    """
    if upload.finished:
        raise Conflict(_("This upload already has all its bytes."), received=upload.received)
    if start != upload.received:
        raise Conflict(
            _("Expected the chunk at byte %(offset)s; resume from there.")
            % {"offset": upload.received},
            received=upload.received,
        )
    if upload.kind == UploadKind.FILE:
        expected = min(upload.chunk_size, upload.size - start)
        if length != expected:
            raise Invalid(
                _("A chunk must be %(size)s bytes here.") % {"size": expected},
                received=upload.received,
            )
        last = start + length == upload.size
    else:
        if length > upload.chunk_size or (not final and length != upload.chunk_size):
            raise Invalid(
                _("A chunk must be %(size)s bytes here.") % {"size": upload.chunk_size},
                received=upload.received,
            )
        if start + length > settings.CLASSVAULT_MAX_UPLOAD_BYTES:
            raise _too_large()
        if length:
            # What arrived counts towards her quota: the recording stops where it is full
            # (what was received can still be kept).
            quota_check(owner=upload.owner, adding=length, now=now)
        last = final
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = (
            Upload.objects.filter(pk=upload.pk, received=start, finished=False)
            .filter(Q(writing_until__isnull=True) | Q(writing_until__lte=now))
            .filter(Q(completing_until__isnull=True) | Q(completing_until__lte=now))
            .update(writing_token=token, writing_until=now + WRITE_CLAIM)
        )
    if not claimed:
        raise Conflict(_("This chunk is being received already."), received=upload.received)
    try:
        if length:
            try:
                vault_part_write(
                    data_key_id=upload.data_key_id,
                    index=start // upload.chunk_size,
                    chunks=_checked(pieces, length, upload.received),
                    length=length,
                    last=last,
                )
            except ValueError:
                raise Invalid(
                    _("The chunk was cut off; send it again."), received=upload.received
                ) from None
    except BaseException:
        Upload.objects.filter(pk=upload.pk, writing_token=token).update(
            writing_token=None, writing_until=None
        )
        raise
    done = {
        "received": start + length,
        "writing_token": None,
        "writing_until": None,
        "finished": last,
        "terminated": last and length > 0,
    }
    if upload.kind == UploadKind.LIVE and last:
        done["size"] = start + length
    with transaction.atomic():
        won = Upload.objects.filter(pk=upload.pk, writing_token=token).update(**done)
    if not won:
        raise Conflict(_("This chunk was already received."), received=start + length)
    for field, value in done.items():
        setattr(upload, field, value)
    return upload.received


def _checked(pieces: Iterable[bytes], length: int, received: int) -> Iterator[bytes]:
    got = 0
    for piece in pieces:
        got += len(piece)
        if got > length:
            raise Invalid(_("The chunk is longer than announced."), received=received)
        yield piece
    if got != length:
        raise Invalid(_("The chunk was cut off; send it again."), received=received)


def upload_complete(
    *,
    actor: User,
    upload: Upload,
    title: str | None,
    recorded_at: datetime | None,
    pupil_ids: list[str] | None,
    attested_ids: list[str] | None,
    now: datetime,
) -> Recording:
    """Seal the received original and register it as a recording.

    The details given here replace those given at the start. A live recording whose tab
    was closed before it stopped is kept with what was received. However many requests
    complete one upload at once, one makes the recording: it claims the upload first (a
    conditional update), the others get 409; the recording is created and the upload used
    up in one transaction, so even a claim that lapsed under a stalled request cannot give a
    second recording.
    """
    if upload.kind == UploadKind.FILE and upload.received != upload.size:
        raise Conflict(
            _("The upload is not complete yet (%(got)s of %(size)s bytes).")
            % {"got": upload.received, "size": upload.size},
            received=upload.received,
        )
    if upload.received == 0:
        raise Conflict(_("Nothing of this recording was received; discard it."), received=0)
    title = upload.title if title is None else title
    recorded_at = upload.recorded_at if recorded_at is None else recorded_at
    if recorded_at is None:
        raise Invalid(_("recorded_at must be a date (YYYY-MM-DD) or an ISO-8601 instant."))
    pupil_ids = upload.pupils if pupil_ids is None else pupil_ids
    attested_ids = upload.attested if attested_ids is None else attested_ids
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = (
            Upload.objects.filter(pk=upload.pk, received=upload.received)
            .filter(Q(completing_until__isnull=True) | Q(completing_until__lte=now))
            .filter(Q(writing_until__isnull=True) | Q(writing_until__lte=now))
            .filter(Q(kind=UploadKind.LIVE) | Q(received=F("size")))
            .update(completing_token=token, completing_until=now + COMPLETE_CLAIM)
        )
    if not claimed:
        raise Conflict(
            _(
                "This upload is already being completed. Wait a moment, then look "
                "for the recording in your list."
            )
        )
    try:
        stored = vault_parted_seal(
            data_key_id=upload.data_key_id,
            parts=upload.parts,
            terminated=upload.terminated,
            now=now,
        )
        recording = recording_create(
            actor=actor,
            recording_id=str(upload.recording_id),
            upload=EncryptedUpload(upload.filename, "", stored),
            title=title,
            recorded_at=recorded_at,
            pupil_ids=pupil_ids,
            attested_ids=attested_ids,
            now=now,
            in_same_transaction=lambda: _upload_use_up(upload=upload, token=token),
            discard_on_refusal=False,
        )
    except NotAVideo:
        # No correction of pupils, title or date can make these bytes a video: every part
        # goes now, nothing of a malformed file is kept.
        Upload.objects.filter(pk=upload.pk, completing_token=token).update(
            completing_token=None, completing_until=None
        )
        upload_discard(upload=upload, now=now)
        raise
    except BaseException:
        # The parts stay, so the student teacher can correct the pupils present (or the
        # title, or the date) and complete again without sending anything again.
        Upload.objects.filter(pk=upload.pk, completing_token=token).update(
            completing_token=None, completing_until=None
        )
        raise
    return recording


def _upload_use_up(*, upload: Upload, token: uuid.UUID) -> None:
    """Inside the transaction creating the recording: the upload goes with it, if still ours."""
    deleted, _rows = Upload.objects.filter(pk=upload.pk, completing_token=token).delete()
    if not deleted:
        raise Conflict(_("This upload was completed or discarded meanwhile."))


def upload_discard(*, upload: Upload, now: datetime, actor: User | None = None) -> None:
    """Shred what an upload received and forget it (abandoned, refused or expired).

    DANGEROUS only in name: no recording refers to these bytes; keys first, blobs after
    commit (vault_shred). An upload being received or completed right now is left alone
    (409).
    """
    with transaction.atomic():
        deleted, _rows = (
            Upload.objects.filter(pk=upload.pk)
            .filter(Q(completing_until__isnull=True) | Q(completing_until__lte=now))
            .filter(Q(writing_until__isnull=True) | Q(writing_until__lte=now))
            .delete()
        )
        if not deleted:
            raise Conflict(_("This upload is being received or completed; try again shortly."))
        shred = upload.recording_id is not None and not (
            Recording.objects.filter(pk=upload.recording_id).exists()
        )
        if shred:
            vault_shred(object_id=str(upload.recording_id), now=now, actor=actor)
        # Chunks of an upload begun before version 0005 were objects of their own.
        for index in range(upload.parts if upload.recording_id is None else 0):
            vault_shred(object_id=f"{upload.pk.hex}-p{index:05d}", now=now, actor=actor)
    if shred:
        # No request can write to it any more (its row is gone): what a killed one left
        # half-written (only ever ciphertext) goes too.
        vault_unfinished_purge(object_id=str(upload.recording_id))


def uploads_purge_stale(*, now: datetime) -> int:
    """Discard uploads abandoned for longer than their lifetime."""
    purged = 0
    for upload in Upload.objects.filter(expires_at__lte=now):
        try:
            upload_discard(upload=upload, now=now)
        except Conflict:
            continue  # being completed right now: it goes with its recording
        purged += 1
    return purged
