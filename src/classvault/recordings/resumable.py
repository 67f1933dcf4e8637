"""Resumable uploads for the browser: chunks are encrypted as they arrive.

A two-hour lesson is several GB and school Wi-Fi drops. The browser announces the size,
sends fixed-size chunks in order, asks how far the server got after an error, and goes on
from there. Every chunk is its own vault object; completing the upload decrypts them one
after the other into the recording's original (plaintext only ever in memory, one segment at
a time) and shreds the chunks.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from classvault.core.exceptions import Conflict, Invalid, NotVisible
from classvault.people.models import User
from classvault.vault.purposes import Purpose
from classvault.vault.selectors import vault_keys_live, vault_open
from classvault.vault.services import (
    object_retention_key,
    vault_discard,
    vault_shred,
    vault_store,
    vault_writer,
)

from .models import Recording, Upload
from .services import (
    NotAVideo,
    recording_create,
    recording_upload_allowed,
    recording_upload_discard,
)
from .uploads import EncryptedUpload

UPLOAD_LIFETIME = timedelta(hours=24)


def upload_start(*, actor: User, size: int, filename: str, now: datetime) -> Upload:
    recording_upload_allowed(actor=actor)
    if size <= 0:
        raise Invalid(_("The file is empty."))
    if size > settings.CLASSVAULT_MAX_UPLOAD_BYTES:
        raise Invalid(
            _("The file is larger than %(mb)s MiB.")
            % {"mb": settings.CLASSVAULT_MAX_UPLOAD_BYTES // (1 << 20)}
        )
    return Upload.objects.create(
        owner=actor,
        size=size,
        filename=filename[:255],
        chunk_size=settings.CLASSVAULT_UPLOAD_CHUNK_BYTES,
        created_at=now,
        expires_at=now + UPLOAD_LIFETIME,
    )


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


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def upload_put_chunk(
    *, upload: Upload, start: int, pieces: Iterable[bytes], length: int, now: datetime
) -> int:
    """Store the chunk that begins at ``start``; return how many bytes the server now has.

    Chunks come in order and are whole, except the last: anything else is refused with the
    offset to resume from, and nothing of it is kept.
    """
    if start != upload.received:
        raise Conflict(
            _("Expected the chunk at byte %(offset)s; resume from there.")
            % {"offset": upload.received},
            received=upload.received,
        )
    expected = min(upload.chunk_size, upload.size - start)
    if length != expected:
        raise Invalid(
            _("A chunk must be %(size)s bytes here.") % {"size": expected}, received=upload.received
        )
    index = start // upload.chunk_size
    got = 0

    def counted():
        nonlocal got
        for piece in pieces:
            got += len(piece)
            if got > expected:
                raise Invalid(_("The chunk is longer than announced."))
            yield piece
        if got != expected:
            raise Invalid(_("The chunk was cut off; send it again."), received=upload.received)

    part = upload.part_object_id(index)
    # A chunk stored by a try whose answer got lost is replaced: the newest wins, and the
    # older copies are shredded once the new one is safely stored.
    older = vault_keys_live(object_id=part)
    # Each chunk under its own retention key: discarding the upload destroys that key, so a
    # backup of an abandoned upload's chunks can never be read.
    stored = vault_store(
        object_id=part,
        purpose=Purpose.ORIGINAL,
        chunks=counted(),
        now=now,
        retention_key=object_retention_key(part),
    )
    with transaction.atomic():
        won = bool(
            Upload.objects.filter(pk=upload.pk, received=start).update(received=start + expected)
        )
        # A parallel request that stored this chunk first wins; ours is then the one to drop.
        doomed = older if won else [stored.data_key_id]
        for data_key_id in doomed:
            vault_discard(data_key_id=data_key_id, now=now)
    if not won:
        raise Conflict(_("This chunk was already received."), received=start + expected)
    upload.received = start + expected
    return upload.received


# How long a completion's claim holds; joining even a few GB takes far less.
COMPLETE_CLAIM = timedelta(hours=1)


def upload_complete(
    *,
    actor: User,
    upload: Upload,
    title: str,
    recorded_at: datetime,
    pupil_ids: list[str],
    attested_ids: list[str],
    now: datetime,
) -> Recording:
    """Join the chunks into a new recording's original, then register it as a recording.

    However many requests complete one upload at once, one makes the recording: it claims
    the upload first (a conditional update), the others get 409 before joining anything. The
    recording is created and the upload used up in one transaction, so even a claim that
    lapsed under a stalled request cannot give a second recording.
    """
    if upload.received != upload.size:
        raise Conflict(
            _("The upload is not complete yet (%(got)s of %(size)s bytes).")
            % {"got": upload.received, "size": upload.size},
            received=upload.received,
        )
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = (
            Upload.objects.filter(pk=upload.pk, received=F("size"))
            .filter(Q(completing_until__isnull=True) | Q(completing_until__lte=now))
            .update(completing_token=token, completing_until=now + COMPLETE_CLAIM)
        )
    if not claimed:
        raise Conflict(
            _(
                "This upload is already being completed. Wait a moment, then look "
                "for the recording in your list."
            )
        )
    recording_id = str(uuid.uuid4())
    try:
        with vault_writer(object_id=recording_id, purpose=Purpose.ORIGINAL, now=now) as writer:
            for index in range(upload.chunks):
                with vault_open(
                    object_id=upload.part_object_id(index), purpose=Purpose.ORIGINAL
                ) as part:
                    for piece in part.iter_all():
                        writer.write(piece)
        recording = recording_create(
            actor=actor,
            recording_id=recording_id,
            upload=EncryptedUpload(upload.filename, "", writer.result),
            title=title,
            recorded_at=recorded_at,
            pupil_ids=pupil_ids,
            attested_ids=attested_ids,
            now=now,
            in_same_transaction=lambda: _upload_use_up(upload=upload, token=token, now=now),
        )
    except NotAVideo:
        # No correction of pupils, title or date can make these bytes a video: the joined
        # copy and every chunk go now, nothing of a malformed file is kept.
        recording_upload_discard(recording_id=recording_id, actor=actor, now=now)
        upload_discard(upload=upload, now=now)
        raise
    except BaseException:
        # The joined copy goes; the chunks stay, so the student teacher can correct the
        # pupils present (or the title, or the date) and complete again without re-sending.
        recording_upload_discard(recording_id=recording_id, actor=actor, now=now)
        Upload.objects.filter(pk=upload.pk, completing_token=token).update(
            completing_token=None, completing_until=None
        )
        raise
    return recording


def _upload_use_up(*, upload: Upload, token: uuid.UUID, now: datetime) -> None:
    """Inside the transaction creating the recording: the upload goes with it, if still ours."""
    deleted, _rows = Upload.objects.filter(pk=upload.pk, completing_token=token).delete()
    if not deleted:
        raise Conflict(_("This upload was completed or discarded meanwhile."))
    for index in range(upload.chunks):
        vault_shred(object_id=upload.part_object_id(index), now=now)


def upload_discard(*, upload: Upload, now: datetime) -> None:
    """Shred every chunk of an upload and forget it (completed, abandoned or expired)."""
    with transaction.atomic():
        # The upload's row first, its chunks' keys after: the order completing takes them.
        Upload.objects.filter(pk=upload.pk).delete()
        for index in range(upload.chunks):
            vault_shred(object_id=upload.part_object_id(index), now=now)


def uploads_purge_stale(*, now: datetime) -> int:
    """Discard uploads abandoned for longer than their lifetime."""
    stale = list(Upload.objects.filter(expires_at__lte=now))
    for upload in stale:
        upload_discard(upload=upload, now=now)
    return len(stale)
