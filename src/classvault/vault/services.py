"""Writes of the vault: data keys (create, unwrap, destroy, rotate) and stored objects.

``object_id`` names the thing protected (a recording's id); ``purpose`` says which of its
objects (original, rendition, poster). Every object gets its own data key; the key row is
the only way back to the plaintext, so destroying it is deleting the object.

The vault is a closed room: the apps above use this module, ``vault.selectors``,
``vault.purposes``, ``vault.hooks`` and ``vault.exceptions``, never its blob store, key
tables or key files (an import-linter contract in pyproject.toml checks it).
"""

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connection, transaction

from classvault.audit.actions import AuditAction
from classvault.audit.services import AuditEntry, audit_record, audit_record_many

from .blobs import blob_store
from .exceptions import KeyDestroyed, VaultKeyError, VaultNotFound
from .keys import KeyProvider, key_provider
from .models import OBJECT_ID_RE, DataKey, Purpose
from .parts import new_part_key_fields, part_reseal_last, part_write, parted_check

# Public here (the apps above never import vault.retention_keys): the label of an object's
# own retention key, destroying a key nobody needs, finishing destructions a crash cut short.
from .retention_keys import is_object_retention_key as is_object_retention_key
from .retention_keys import object_retention_key as object_retention_key
from .retention_keys import retention_key_destroy as retention_key_destroy
from .retention_keys import (
    retention_key_ensure,
    retention_key_for_new_key,
    retention_key_load,
    retention_keys_destroy_unused,
    retention_keys_lock,
    retention_keys_rotate,
)
from .retention_keys import retention_key_files_reshred as retention_key_files_reshred
from .segments import DEFAULT_SEGMENT_SIZE, SegmentWriter


def _check_object_id(object_id: str) -> None:
    if not OBJECT_ID_RE.fullmatch(object_id):
        raise ValueError(f"Invalid vault object id {object_id!r}: use 1-64 of A-Z a-z 0-9 _ -.")


def _check_object(object_id: str, purpose: str) -> None:
    _check_object_id(object_id)
    if purpose not in Purpose.values:
        raise ValueError(f"Unknown purpose {purpose!r}; choose one of {', '.join(Purpose)}.")


@transaction.atomic
def data_key_create(
    *,
    object_id: str,
    purpose: str,
    now: datetime,
    raw_key: bytes | None = None,
    key_id: uuid.UUID | None = None,
    retention_key: str | None = None,
    part_size: int = 0,
) -> tuple[DataKey, bytes]:
    """Make a fresh data key, store it wrapped, return it raw too.

    It is wrapped under the retention key labelled ``retention_key``; by default the registered
    retention key policies choose it (vault/hooks.py), and without one the current master key
    wraps it directly.
    ``raw_key`` and ``key_id`` exist for :func:`vault_store`, which encrypts with the key
    before its row is written; anything else lets them default to fresh random values.
    ``part_size`` > 0 makes the key of a parted object, unsealed (:func:`vault_parted_begin`).
    """
    _check_object(object_id, purpose)
    raw = AESGCM.generate_key(bit_length=256) if raw_key is None else raw_key
    label = (
        retention_key_for_new_key(object_id=object_id, now=now)
        if retention_key is None
        else retention_key
    )
    wrapper: KeyProvider = retention_key_ensure(label=label, now=now) if label else key_provider()
    data_key = DataKey(
        id=key_id or uuid.uuid4(),
        object_id=object_id,
        purpose=purpose,
        kek_id=wrapper.current_kek_id,
        retention_key=label,
        created_at=now,
        **(new_part_key_fields(part_size) if part_size else {}),
    )
    data_key.wrapped = wrapper.wrap(raw, data_key.wrap_context)
    data_key.save(force_insert=True)
    data = {"data_key": str(data_key.pk), "purpose": purpose, "kek_id": data_key.kek_id}
    if label:
        data["retention_key"] = label
    audit_record(
        actor=None,
        action=AuditAction.VAULT_KEY_CREATE,
        object_type="vault_object",
        object_id=object_id,
        now=now,
        data=data,
    )
    return data_key, raw


def _unwrap(wrapped: bytes, retention_key: str, context: bytes) -> bytes:
    if retention_key:
        return retention_key_load(label=retention_key).unwrap(wrapped, context)
    return key_provider().unwrap(wrapped, context)


def data_key_unwrap(*, data_key: DataKey) -> bytes:
    """The raw data key; :class:`KeyDestroyed` once it was shredded.

    The wrapped bytes are read afresh from the database: an instance loaded before the key
    was destroyed must not bring it back.
    """
    for attempt in range(2):
        row = (
            DataKey.objects.filter(pk=data_key.pk, destroyed_at__isnull=True)
            .values_list("wrapped", "retention_key")
            .first()
        )
        if row is None:
            raise KeyDestroyed(f"The data key {data_key.pk} was destroyed or never existed.")
        try:
            return _unwrap(bytes(row[0]), row[1], data_key.wrap_context)
        except VaultKeyError:
            # The key may have moved to another retention key (and the old one been destroyed)
            # between the two reads: look once more before giving up.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _forget_freed_pages() -> None:
    # SQLite otherwise leaves the old wrapped bytes in the freed space of the page.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def data_key_destroy(
    *,
    now: datetime,
    data_key: DataKey | None = None,
    object_id: str | None = None,
    actor: Any = None,
) -> int:
    """Crypto-shred one data key, or every live key of an object; return how many.

    DANGEROUS: what these keys protect becomes unreadable for good, in every copy of its
    blobs, backups included. The wrapped key is set to NULL and ``destroyed_at`` to ``now``
    in one transaction with one audit event per object; the rows stay as evidence. Destroying
    what is already destroyed does nothing and logs nothing.
    """
    if (data_key is None) == (object_id is None):
        raise ValueError("Pass either data_key or object_id.")
    with transaction.atomic():
        live = DataKey.objects.select_for_update().filter(destroyed_at__isnull=True)
        if data_key is not None:
            live = live.filter(pk=data_key.pk)
            object_id = data_key.object_id
        else:
            live = live.filter(object_id=object_id)
        doomed = list(
            live.order_by("created_at", "pk").values_list("pk", "purpose", "retention_key")
        )
        if doomed:
            _forget_freed_pages()
            DataKey.objects.filter(pk__in=[pk for pk, _, _ in doomed]).update(
                wrapped=None, destroyed_at=now
            )
            # The retention keys they were under, before the audit head (the last lock).
            retention_keys_lock(labels={e for _, _, e in doomed})
            audit_record(
                actor=actor,
                action=AuditAction.VAULT_KEY_DESTROY,
                object_type="vault_object",
                object_id=object_id or "",
                now=now,
                data={"data_keys": [{"id": str(pk), "purpose": p} for pk, p, _ in doomed]},
            )
            # A retention key goes with the last live data key under it.
            retention_keys_destroy_unused(labels={e for _, _, e in doomed}, now=now, actor=actor)
    if data_key is not None and doomed:
        data_key.wrapped, data_key.destroyed_at = None, now
    return len(doomed)


def data_keys_destroy(*, object_ids: Iterable[str], now: datetime, actor: Any = None) -> int:
    """Crypto-shred every live data key of many objects at once; return how many keys.

    DANGEROUS, exactly as :func:`data_key_destroy` with ``object_id`` for each object, but
    set-based (the retention sweep's batches): in one transaction the live keys of all the
    objects are locked and set to NULL with one UPDATE, the retention keys they were under
    are locked, one ``vault.key_destroy`` event per object that had live keys is appended
    (in one go, the audit head the last lock), and every retention key that lost its last
    live data key is destroyed. Objects without live keys log nothing.
    """
    ids = sorted(set(object_ids))
    for object_id in ids:
        _check_object_id(object_id)
    if not ids:
        return 0
    with transaction.atomic():
        doomed = list(
            DataKey.objects.select_for_update()
            .filter(object_id__in=ids, destroyed_at__isnull=True)
            .order_by("object_id", "created_at", "pk")
            .values_list("pk", "object_id", "purpose", "retention_key")
        )
        if not doomed:
            return 0
        _forget_freed_pages()
        DataKey.objects.filter(pk__in=[pk for pk, _, _, _ in doomed]).update(
            wrapped=None, destroyed_at=now
        )
        labels = {label for _, _, _, label in doomed}
        retention_keys_lock(labels=labels)
        per_object: dict[str, list[dict]] = {}
        for pk, object_id, purpose, _label in doomed:
            per_object.setdefault(object_id, []).append({"id": str(pk), "purpose": purpose})
        audit_record_many(
            actor=actor,
            now=now,
            entries=[
                AuditEntry(
                    action=AuditAction.VAULT_KEY_DESTROY,
                    object_type="vault_object",
                    object_id=object_id,
                    data={"data_keys": keys},
                )
                for object_id, keys in per_object.items()
            ],
        )
        retention_keys_destroy_unused(labels=labels, now=now, actor=actor)
    return len(doomed)


def data_keys_rewrap(
    *, object_id: str, retention_key: str, now: datetime, actor: Any = None
) -> int:
    """Move every live data key of an object under the retention key labelled ``retention_key``.

    "" means the master key. Only the wrapping changes, never a data key or a blob. One
    transaction and one audit event; the object's own retention key is destroyed when this
    moved its last key away from it. Returns how many keys moved (0: nothing to do).
    """
    _check_object_id(object_id)
    with transaction.atomic():
        keys = list(
            DataKey.objects.select_for_update()
            .filter(object_id=object_id, destroyed_at__isnull=True)
            .exclude(retention_key=retention_key)
            .order_by("created_at", "pk")
        )
        if not keys:
            return 0
        before = {key.retention_key for key in keys}
        # Every retention key involved, in one order, before the audit head (the last lock).
        retention_keys_lock(labels=before | {retention_key})
        target: KeyProvider = (
            retention_key_ensure(label=retention_key, now=now, actor=actor)
            if retention_key
            else key_provider()
        )
        for key in keys:
            raw = _unwrap(bytes(key.wrapped), key.retention_key, key.wrap_context)
            key.wrapped = target.wrap(raw, key.wrap_context)
            key.kek_id = target.current_kek_id
            key.retention_key = retention_key
        DataKey.objects.bulk_update(keys, ["wrapped", "kek_id", "retention_key"])
        audit_record(
            actor=actor,
            action=AuditAction.VAULT_KEY_REWRAP,
            object_type="vault_object",
            object_id=object_id,
            now=now,
            data={"count": len(keys), "from": sorted(before), "to": retention_key},
        )
        retention_keys_destroy_unused(labels=before, now=now, actor=actor)
    return len(keys)


@dataclass(frozen=True)
class KeyRotation:
    """What :func:`master_key_rotate` re-wrapped under the current master key."""

    data_keys: int
    retention_keys: int


def master_key_rotate(*, now: datetime, batch_size: int = 200, actor: Any = None) -> KeyRotation:
    """Re-wrap everything the current KEK does not wrap yet, each thing once.

    Retention key files first (one transaction, one ``vault.retention_key_rotate`` event when
    any moved); the data keys under them need nothing. Then the data keys the master key wraps
    directly, in batches, one transaction and one ``vault.key_rotate`` event each, so an
    interrupted run keeps what it did and the next run continues; a run with nothing to do
    changes nothing. Stops with :class:`VaultKeyError` when a key's KEK is missing (restore
    its retired file).
    """
    retention_keys = retention_keys_rotate(now=now, actor=actor)
    data_keys = _data_keys_rotate(now=now, batch_size=batch_size, actor=actor)
    return KeyRotation(data_keys=data_keys, retention_keys=retention_keys)


def key_rotate(*, now: datetime, batch_size: int = 200, actor: Any = None) -> int:
    """:func:`master_key_rotate`; return how many data keys it re-wrapped."""
    return master_key_rotate(now=now, batch_size=batch_size, actor=actor).data_keys


def _data_keys_rotate(*, now: datetime, batch_size: int, actor: Any) -> int:
    provider = key_provider()
    current = provider.current_kek_id
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                DataKey.objects.select_for_update()
                .filter(destroyed_at__isnull=True, retention_key="")
                .exclude(kek_id=current)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return total
            from_keks = sorted({key.kek_id for key in batch})
            for key in batch:
                raw = provider.unwrap(bytes(key.wrapped), key.wrap_context)
                key.wrapped = provider.wrap(raw, key.wrap_context)
                key.kek_id = current
            DataKey.objects.bulk_update(batch, ["wrapped", "kek_id"])
            audit_record(
                actor=actor,
                action=AuditAction.VAULT_KEY_ROTATE,
                object_type="vault",
                now=now,
                data={"count": len(batch), "from_keks": from_keks, "to_kek": current},
            )
        total += len(batch)


@dataclass(frozen=True)
class StoredObject:
    """What :func:`vault_store` or :func:`vault_writer` wrote."""

    data_key_id: uuid.UUID
    object_id: str
    purpose: str
    blob_name: str
    plaintext_size: int
    ciphertext_size: int


class VaultWriter:
    """The writable end of :func:`vault_writer`: plaintext in, ciphertext to the blob.

    File-like enough for writers that want a non-seekable output (PyAV's fragmented MP4).
    ``result`` is set once the ``with`` block of :func:`vault_writer` has ended well.
    """

    def __init__(self, segments: SegmentWriter) -> None:
        self._segments = segments
        self.result: StoredObject | None = None

    def __repr__(self) -> str:
        return f"<VaultWriter {self._segments.object_id!r}>"

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._segments.write(data)
        return memoryview(data).nbytes

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._segments.plaintext_size

    def flush(self) -> None:
        """Nothing to do: a segment is sealed as soon as it is known not to be the last."""


@contextmanager
def vault_writer(
    *,
    object_id: str,
    purpose: str,
    now: datetime,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    retention_key: str | None = None,
) -> Iterator[VaultWriter]:
    """Store a new object by writing its plaintext in a ``with`` block.

    Plaintext stays in memory, one segment at a time. The blob is committed when the block
    ends well, and its key row only after that: a crash in between leaves a blob whose key
    was never stored (unreadable; :func:`vault_shred` removes it), never a live key without
    its blob. An exception in the block leaves nothing at all. Use it outside a transaction:
    encrypting a large upload must not hold the database's write lock. A newer object of
    the same id and purpose supersedes older ones in ``vault_open``. ``retention_key``
    chooses the retention key that wraps its data key (see :func:`data_key_create`).
    """
    _check_object(object_id, purpose)
    key_id = uuid.uuid4()
    raw = AESGCM.generate_key(bit_length=256)
    draft = DataKey(id=key_id, object_id=object_id, purpose=purpose)
    store = blob_store()
    with store.open_write(draft.blob_name) as blob:
        segments = SegmentWriter(raw, draft.segment_object_id, blob, segment_size=segment_size)
        writer = VaultWriter(segments)
        yield writer
        segments.close()
    try:
        data_key_create(
            object_id=object_id,
            purpose=purpose,
            now=now,
            raw_key=raw,
            key_id=key_id,
            retention_key=retention_key,
        )
    except BaseException:
        store.delete(draft.blob_name)
        raise
    writer.result = StoredObject(
        data_key_id=key_id,
        object_id=object_id,
        purpose=purpose,
        blob_name=draft.blob_name,
        plaintext_size=segments.plaintext_size,
        ciphertext_size=segments.ciphertext_size,
    )


def vault_store(
    *,
    object_id: str,
    purpose: str,
    chunks: Iterable[bytes],
    now: datetime,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    retention_key: str | None = None,
) -> StoredObject:
    """Encrypt ``chunks`` as they arrive into a new object; see :func:`vault_writer`."""
    with vault_writer(
        object_id=object_id,
        purpose=purpose,
        now=now,
        segment_size=segment_size,
        retention_key=retention_key,
    ) as writer:
        for chunk in chunks:
            writer.write(chunk)
    assert writer.result is not None
    return writer.result


def vault_shred(*, object_id: str, now: datetime, actor: Any = None) -> int:
    """Make every object stored under ``object_id`` unreadable, then delete its blobs.

    DANGEROUS, and the order matters. First every data key of the object is destroyed and
    that is committed with its audit event: from then on no copy of the ciphertext (backups,
    replicas, a blob whose deletion fails) can ever be decrypted. Only after that commit are
    the blobs deleted; that merely frees space. Deleting blobs first could leave live keys
    behind after a crash, with old copies of the blobs still decryptable. Inside a caller's
    transaction the blobs go when it commits, and stay if it rolls back (keys and all).
    Safe to run again: it finishes an interrupted run, including orphan blobs of
    :func:`vault_writer`. Returns the number of keys destroyed by this call.
    """
    # The id becomes a folder prefix below: never let a malformed one widen it.
    _check_object_id(object_id)
    destroyed = data_key_destroy(object_id=object_id, now=now, actor=actor)
    store = blob_store()

    def delete_blobs() -> None:
        for name in store.names(prefix=f"{object_id}/"):
            store.delete(name)

    transaction.on_commit(delete_blobs)
    return destroyed


def vault_discard(
    *,
    now: datetime,
    data_key_id: uuid.UUID | None = None,
    data_key: DataKey | None = None,
    actor: Any = None,
) -> None:
    """Shred one superseded object (e.g. a rendition replaced by a redacted one).

    Name it by ``data_key_id`` (what :class:`StoredObject` and ``vault_keys_live`` give) or,
    inside the vault, by its loaded ``data_key``; an id that names nothing does nothing.
    DANGEROUS, in the same order as :func:`vault_shred`: the key first, the blob after commit.
    """
    if (data_key is None) == (data_key_id is None):
        raise ValueError("Pass either data_key or data_key_id.")
    if data_key is None:
        data_key = DataKey.objects.filter(pk=data_key_id).first()
        if data_key is None:
            return
    data_key_destroy(data_key=data_key, now=now, actor=actor)
    store = blob_store()

    def delete_blobs() -> None:
        # Its one blob, or every part of a parted object (all share the key's prefix).
        for name in store.names(prefix=data_key.blob_prefix):
            store.delete(name)

    transaction.on_commit(delete_blobs)


def vault_object_purge(*, object_id: str, now: datetime, actor: Any = None) -> int:
    """Remove all that is left of an object, at once: keys, unfinished writes, blobs.

    DANGEROUS, keys first like :func:`vault_shred`: every live data key of the object is
    destroyed and committed with its audit event (a writer that raced the object's deletion
    may have added one), then the unfinished writes a killed writer left and every blob go.
    Unlike :func:`vault_shred` it removes the blobs now, not after a commit, and unfinished
    writes too: only for an object nothing may write any more (a deleted recording), outside
    a transaction. Idempotent; returns the number of keys this call destroyed.
    """
    _check_object_id(object_id)
    destroyed = data_key_destroy(object_id=object_id, now=now, actor=actor)
    store = blob_store()
    store.purge_unfinished(object_id)
    for name in store.names(prefix=f"{object_id}/"):
        store.delete(name)
    return destroyed


def vault_objects_purge(
    *, object_ids: Iterable[str], now: datetime, actor: Any = None
) -> dict[str, Exception]:
    """:func:`vault_object_purge` for many objects: their keys in one transaction, then the
    unfinished writes and blobs of each. DANGEROUS in the same way and order. A failing blob
    removal does not stop the others; returns the objects whose removal failed, with why."""
    ids = sorted(set(object_ids))
    data_keys_destroy(object_ids=ids, now=now, actor=actor)
    store = blob_store()
    failed: dict[str, Exception] = {}
    for object_id in ids:
        try:
            store.purge_unfinished(object_id)
            for name in store.names(prefix=f"{object_id}/"):
                store.delete(name)
        except Exception as exc:
            failed[object_id] = exc
    return failed


def vault_unfinished_purge(*, object_id: str) -> int:
    """Remove what writers of an object left half-written (only ever ciphertext, never keyed).

    Only call it when no writer of the object can be active any more (e.g. once a job that
    held a lease on it is over). Returns how many unfinished files went.
    """
    _check_object_id(object_id)
    return blob_store().purge_unfinished(object_id)


# --- parted objects: written part by part across requests, sealed at the end -------------


@dataclass(frozen=True)
class PartedObject:
    """A parted object being written (:func:`vault_parted_begin`)."""

    data_key_id: uuid.UUID
    object_id: str
    purpose: str
    part_size: int
    segment_size: int


def vault_parted_begin(
    *,
    object_id: str,
    purpose: str,
    part_size: int,
    now: datetime,
    retention_key: str | None = None,
    key_id: uuid.UUID | None = None,
) -> PartedObject:
    """Start an object that arrives in parts of ``part_size`` plaintext bytes (the last one
    shorter); see vault/parts.py. Its key is made now, unsealed: nobody can open the object
    until :func:`vault_parted_seal`. ``part_size`` is a whole number of segments (the segment
    size is 1 MiB, or ``part_size`` itself when that is smaller)."""
    data_key, _raw = data_key_create(
        object_id=object_id,
        purpose=purpose,
        now=now,
        retention_key=retention_key,
        part_size=part_size,
        key_id=key_id,
    )
    return PartedObject(
        data_key_id=data_key.pk,
        object_id=object_id,
        purpose=purpose,
        part_size=data_key.part_size,
        segment_size=data_key.segment_size,
    )


def _unsealed(data_key_id: uuid.UUID) -> DataKey:
    data_key = DataKey.objects.filter(
        pk=data_key_id, destroyed_at__isnull=True, sealed=False
    ).first()
    if data_key is None:
        raise VaultNotFound(f"No parted object is being written under key {data_key_id}.")
    return data_key


def vault_part_write(
    *,
    data_key_id: uuid.UUID,
    index: int,
    chunks: Iterable[bytes],
    length: int,
    last: bool = False,
) -> int:
    """Encrypt part ``index`` of a parted object as it arrives; its ciphertext size.

    Every part but the last holds exactly ``part_size`` bytes; ``last`` marks the final one,
    whose last segment gets the last-segment flag. Wrong lengths raise ``ValueError`` and
    keep nothing. Use it outside a transaction; the caller makes sure one request at a time
    writes a given part.
    """
    data_key = _unsealed(data_key_id)
    raw = data_key_unwrap(data_key=data_key)
    return part_write(
        store=blob_store(),
        data_key=data_key,
        raw_key=raw,
        index=index,
        chunks=chunks,
        length=length,
        last=last,
    )


def vault_parted_seal(
    *, data_key_id: uuid.UUID, parts: int, terminated: bool, now: datetime
) -> StoredObject:
    """Seal a parted object of ``parts`` parts: from now on ``vault_open`` reads it.

    ``terminated`` says the last part was written with ``last=True``; otherwise its final
    segment is sealed again with the last-segment flag (one segment, in memory). The end of
    the object is authenticated before the row is marked sealed, so a missing or cut part
    raises :class:`VaultIntegrityError` and seals nothing. Time and work do not depend on
    the object's size. Idempotent for an object already sealed with the same parts.
    """
    if parts < 1:
        raise ValueError("a parted object has at least one part")
    data_key = DataKey.objects.filter(pk=data_key_id, destroyed_at__isnull=True).first()
    if data_key is None or not data_key.part_size:
        raise VaultNotFound(f"No parted object under key {data_key_id}.")
    store = blob_store()
    raw = data_key_unwrap(data_key=data_key)
    if not data_key.sealed:
        if not terminated:
            part_reseal_last(store=store, data_key=data_key, raw_key=raw, parts=parts)
        data_key.parts = parts
    elif data_key.parts != parts:
        raise ValueError(f"The object was sealed with {data_key.parts} parts, not {parts}.")
    plaintext_size, ciphertext_size = parted_check(store=store, data_key=data_key, raw_key=raw)
    with transaction.atomic():
        DataKey.objects.filter(pk=data_key.pk, destroyed_at__isnull=True).update(
            parts=parts, sealed=True
        )
    return StoredObject(
        data_key_id=data_key.pk,
        object_id=data_key.object_id,
        purpose=data_key.purpose,
        blob_name=data_key.part_blob_name(0),
        plaintext_size=plaintext_size,
        ciphertext_size=ciphertext_size,
    )
