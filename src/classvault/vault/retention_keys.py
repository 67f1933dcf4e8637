"""Retention keys: the layer between the master key and the data keys.

::

    master key (KEK)          CLASSVAULT_MASTER_KEY_FILE
      └─ wraps  retention key  one file per label in the retention key folder, NOT in the database
           └─ wraps  data key  table vault_datakey (column retention_key names the retention key)

Why a middle layer: every database backup holds every data key, wrapped. Were they wrapped
by the master key alone, the master key plus an old database backup and an old blob backup
would decrypt a recording long after its retention ended. Retention keys live outside the
database, in a folder that backups must not contain (docs/retention.md); destroying one turns
every data key wrapped under it into noise in every database backup there is.

A retention key lives exactly as long as a live data key needs it: destroying or moving a
data key destroys the key it was under when that was the last one
(:func:`retention_key_destroy` refuses while any live data key still needs it), and a label
used again later gets fresh key material. Labels are opaque to the vault; the retention app
uses ``d-YYYYMMDD`` (everything expiring that day) and ``o-<object id>``
(:func:`object_retention_key`: one object alone, while its expiry is unknown or it is under
legal hold).

The vault asks the registered *retention key policies* which label a new data key gets (the
:data:`~classvault.vault.hooks.retention_key_policy` hook); without an answer it wraps under
the master key directly.
"""

import os
import re
import secrets
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record

from .blobs import fsync_dir
from .exceptions import KeyDestroyed, VaultKeyError
from .hooks import retention_key_policy
from .keys import KEK_SIZE, WRAPPED_SIZE, LocalKeyProvider, kek_id_for, key_provider
from .models import OBJECT_ID_RE, DataKey, RetentionKey

LABEL_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
OBJECT_KEY_PREFIX = "o-"
_CONTEXT = "classvault.retentionkey.v1|"
FOLDER_NAME = "retention-keys"


def check_label(label: str) -> str:
    if not isinstance(label, str) or not LABEL_RE.fullmatch(label):
        raise ValueError(f"Invalid retention key label {label!r}: use 1-64 of a-z 0-9 -.")
    return label


def object_retention_key(object_id: str) -> str:
    """The label of the retention key that belongs to one object only."""
    if not OBJECT_ID_RE.fullmatch(object_id):
        raise ValueError(f"Invalid vault object id {object_id!r}.")
    return check_label(OBJECT_KEY_PREFIX + object_id)


def is_object_retention_key(label: str) -> bool:
    return label.startswith(OBJECT_KEY_PREFIX)


def _context(label: str) -> bytes:
    return (_CONTEXT + label).encode()


# --- the folder -------------------------------------------------------------------------


class RetentionKeyFolder:
    """Retention keys as files ``<label>.key`` (the key wrapped by the master key, in hex).

    Folder mode 0700, files 0600, written atomically (temporary file, fsync, rename).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"<RetentionKeyFolder {self.root}>"

    def path(self, label: str) -> Path:
        return self.root / f"{check_label(label)}.key"

    def read(self, label: str) -> bytes | None:
        """The wrapped key, or None when there is no file."""
        try:
            text = self.path(label).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        try:
            wrapped = bytes.fromhex(text)
        except ValueError:
            wrapped = b""
        if len(wrapped) != WRAPPED_SIZE:
            raise VaultKeyError(f"The retention key file {self.path(label)} is damaged.")
        return wrapped

    def write(self, label: str, wrapped: bytes) -> None:
        path = self.path(label)
        if not self.root.is_dir():
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            fsync_dir(self.root.parent)
        temp = self.root / f".{path.name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(wrapped.hex() + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, path)
        except BaseException:
            with suppress(FileNotFoundError):
                temp.unlink()
            raise
        fsync_dir(self.root)

    def shred(self, label: str) -> bool:
        """Overwrite the file with zeros and remove it; True if there was one.

        DANGEROUS: every data key wrapped under this key becomes noise, in every copy of the
        database. The overwrite is best effort (SSDs and copy-on-write file systems may keep
        the old blocks); the removal is what counts, together with backups that never held
        the folder.
        """
        path = self.path(label)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            size = os.fstat(fd).st_size
            os.pwrite(fd, b"\0" * size, 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        with suppress(FileNotFoundError):
            path.unlink()
        fsync_dir(self.root)
        return True

    def labels(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name[: -len(".key")]
            for p in self.root.glob("*.key")
            if LABEL_RE.fullmatch(p.name[: -len(".key")])
        )


def retention_key_folder() -> RetentionKeyFolder:
    """``CLASSVAULT_RETENTION_KEY_DIR``, else ``retention-keys/`` beside the master key file."""
    configured = settings.CLASSVAULT_RETENTION_KEY_DIR
    if configured:
        return RetentionKeyFolder(Path(configured))
    return RetentionKeyFolder(Path(settings.CLASSVAULT_MASTER_KEY_FILE).parent / FOLDER_NAME)


# --- which retention key a new data key gets ---------------------------------------------


def retention_key_for_new_key(*, object_id: str, now: datetime) -> str:
    """The label for a new data key of ``object_id``; "" means the master key wraps it."""
    label = retention_key_policy.first(object_id=object_id, now=now)
    return check_label(label) if label else ""


# --- loading, making, destroying ------------------------------------------------------------


def _open(label: str, wrapped: bytes, key_id: str) -> LocalKeyProvider:
    raw = key_provider().unwrap(wrapped, _context(label))
    if kek_id_for(raw) != key_id:
        raise VaultKeyError(
            f"The retention key file {label}.key does not belong to this database "
            "(restored from another time?)."
        )
    return LocalKeyProvider(raw)


def _missing(label: str, folder: RetentionKeyFolder) -> VaultKeyError:
    return VaultKeyError(
        f"The retention key {label} is missing from {folder.root}: it was destroyed when its "
        "recordings were deleted, or CLASSVAULT_RETENTION_KEY_DIR names the wrong folder."
    )


def retention_key_load(*, label: str) -> LocalKeyProvider:
    """A wrapper that unwraps (and wraps) with the live retention key ``label``.

    :class:`KeyDestroyed` once it was destroyed; :class:`VaultKeyError` when its file is gone
    while the database still thinks it lives (a database restored from a backup).
    """
    row = RetentionKey.objects.filter(label=label).values_list("key_id", "destroyed_at").first()
    if row is None or row[1] is not None or not row[0]:
        raise KeyDestroyed(f"The retention key {label} was destroyed or never existed.")
    folder = retention_key_folder()
    wrapped = folder.read(label)
    if wrapped is None:
        raise _missing(label, folder)
    return _open(label, wrapped, row[0])


def retention_key_ensure(*, label: str, now: datetime, actor: Any = None) -> LocalKeyProvider:
    """The live retention key ``label``, made now if there is none; call inside a transaction.

    The row is locked (inserted first when new), so a concurrent :func:`retention_key_destroy`
    waits until the caller's new data keys are committed, and two makers never write two
    different files for one label.
    """
    check_label(label)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("retention_key_ensure must run inside the transaction that uses the key")
    row = RetentionKey.objects.select_for_update().filter(label=label).first()
    if row is None:
        try:
            with transaction.atomic():
                row = RetentionKey.objects.create(label=label, key_id="", created_at=now)
        except IntegrityError:
            row = RetentionKey.objects.select_for_update().get(label=label)
    folder = retention_key_folder()
    if row.destroyed_at is None and row.key_id:
        wrapped = folder.read(label)
        if wrapped is not None:
            return _open(label, wrapped, row.key_id)
        if DataKey.objects.filter(retention_key=label, destroyed_at__isnull=True).exists():
            raise _missing(label, folder)
    # A new label, or one whose key was destroyed with nothing live under it: fresh material.
    raw = AESGCM.generate_key(bit_length=KEK_SIZE * 8)
    folder.write(label, key_provider().wrap(raw, _context(label)))
    RetentionKey.objects.filter(pk=label).update(
        key_id=kek_id_for(raw), created_at=now, destroyed_at=None
    )
    audit_record(
        actor=actor,
        action=AuditAction.VAULT_RETENTION_KEY_CREATE,
        object_type="retention_key",
        object_id=label,
        now=now,
        data={"key_id": kek_id_for(raw)},
    )
    return LocalKeyProvider(raw)


def retention_keys_lock(*, labels: Iterable[str]) -> None:
    """Lock the rows of these retention keys, in label order, until the transaction ends.

    For a caller that destroys or moves data keys and then may destroy the retention keys
    they were under: it takes these locks before writing its audit event, because the audit
    head is the last lock a transaction takes (``audit_record``); two transactions then never
    wait for each other in opposite order.
    """
    wanted = sorted({label for label in labels if label})
    if wanted:
        list(
            RetentionKey.objects.select_for_update()
            .filter(label__in=wanted)
            .order_by("label")
            .values_list("label", flat=True)
        )


def retention_key_destroy(*, label: str, now: datetime, actor: Any = None) -> bool:
    """Destroy the retention key ``label`` unless a live data key still needs it.

    DANGEROUS: every data key ever wrapped under this key, in the live database and in every
    backup of it, becomes noise; what those keys protected is gone for good. The order: under
    the row's lock, check that no live data key uses it; mark the row destroyed with its audit
    event in one transaction (from that commit on nothing here will use the key); after the
    commit, overwrite and remove the file. A crash between the two leaves a file that
    :func:`retention_key_files_reshred` removes on the next retention run. Returns True if
    destroyed.
    """
    with transaction.atomic():
        row = (
            RetentionKey.objects.select_for_update()
            .filter(label=label, destroyed_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        if DataKey.objects.filter(retention_key=label, destroyed_at__isnull=True).exists():
            return False
        RetentionKey.objects.filter(pk=label).update(destroyed_at=now)
        audit_record(
            actor=actor,
            action=AuditAction.VAULT_RETENTION_KEY_DESTROY,
            object_type="retention_key",
            object_id=label,
            now=now,
            data={"key_id": row.key_id},
        )
        transaction.on_commit(lambda: _shred_if_destroyed(label))
    return True


def _shred_if_destroyed(label: str) -> bool:
    """Remove the file of ``label`` if the database still records its key as destroyed.

    Under the row's lock: a label used again meanwhile (same transaction or another) got a
    new file with fresh key material, which must stay.
    """
    with transaction.atomic():
        destroyed = (
            RetentionKey.objects.select_for_update()
            .filter(label=label, destroyed_at__isnull=False)
            .exists()
        )
        return destroyed and retention_key_folder().shred(label)


def retention_keys_destroy_unused(*, labels: set[str], now: datetime, actor: Any = None) -> int:
    """Destroy those of ``labels`` that no live data key needs any more; return how many.

    DANGEROUS in the same way and order as :func:`retention_key_destroy`, which it calls.
    """
    retention_keys_lock(labels=labels)
    return sum(
        retention_key_destroy(label=label, now=now, actor=actor)
        for label in sorted(labels)
        if label
    )


def retention_key_files_reshred() -> int:
    """Remove files of retention keys the database records as destroyed; return how many.

    Finishes a destruction a crash interrupted, and undoes a restore of the folder from a copy.
    Files without a row are left alone: a key being made writes its file before its row
    commits.
    """
    labels = retention_key_folder().labels()
    if not labels:
        return 0
    destroyed = set(
        RetentionKey.objects.filter(label__in=labels, destroyed_at__isnull=False).values_list(
            "label", flat=True
        )
    )
    return sum(_shred_if_destroyed(label) for label in labels if label in destroyed)


def retention_keys_rotate(*, now: datetime, actor: Any = None) -> int:
    """Re-wrap every live retention key file that is not under the current master key.

    Part of master key rotation (docs/vault-format.md); one audit event when anything moved.
    """
    provider = key_provider()
    current = provider.current_kek_id
    folder = retention_key_folder()
    moved = []
    with transaction.atomic():
        for row in RetentionKey.objects.select_for_update().filter(destroyed_at__isnull=True):
            wrapped = folder.read(row.label)
            if wrapped is None or wrapped[1:5].hex() == current:
                continue
            raw = provider.unwrap(wrapped, _context(row.label))
            folder.write(row.label, provider.wrap(raw, _context(row.label)))
            moved.append(row.label)
        if moved:
            audit_record(
                actor=actor,
                action=AuditAction.VAULT_RETENTION_KEY_ROTATE,
                object_type="vault",
                now=now,
                data={"count": len(moved), "labels": moved, "to_kek": current},
            )
    return len(moved)
