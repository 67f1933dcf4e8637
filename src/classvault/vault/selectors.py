"""Reads of the vault: which objects and keys are live, and a decrypting reader for one.

These check no permissions: callers fetch the recording through its visibility selector
first and pass on only ids they are allowed to read.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q

from .blobs import blob_store
from .exceptions import VaultNotFound
from .files import DecryptingFile
from .models import DataKey, RetentionKey
from .parts import PartedRange
from .retention_keys import OBJECT_KEY_PREFIX
from .segments import SegmentReader
from .services import data_key_unwrap


def data_key_get_live(*, object_id: str, purpose: str) -> DataKey:
    """The newest live data key of an object; :class:`VaultNotFound` if none (or shredded)."""
    data_key = (
        DataKey.objects.filter(
            object_id=object_id, purpose=purpose, destroyed_at__isnull=True, sealed=True
        )
        .order_by("-created_at")
        .first()
    )
    if data_key is None:
        raise VaultNotFound(f"Nothing stored for {object_id}/{purpose}.")
    return data_key


def vault_open(*, object_id: str, purpose: str) -> SegmentReader:
    """A reader that decrypts any byte range of the object; close it when done.

    Use it as ``with vault_open(...) as reader:``, or hand ``reader.iter_range(...)`` to a
    streaming response and close the reader when the response closes.
    """
    data_key = data_key_get_live(object_id=object_id, purpose=purpose)
    raw = data_key_unwrap(data_key=data_key)
    store = blob_store()
    source = (
        PartedRange(store, data_key) if data_key.parts else store.open_range(data_key.blob_name)
    )
    try:
        return SegmentReader(raw, data_key.segment_object_id, source)
    except BaseException:
        source.close()
        raise


def vault_open_file(*, object_id: str, purpose: str) -> DecryptingFile:
    """The object's plaintext as a read-only, seekable file (e.g. PyAV input); close it."""
    reader = vault_open(object_id=object_id, purpose=purpose)
    try:
        return DecryptingFile(reader)
    except BaseException:
        reader.close()
        raise


def vault_keys_live(*, object_id: str, purposes: Iterable[str] | None = None) -> list[uuid.UUID]:
    """The ids of the object's live data keys (of ``purposes``, else all), oldest first."""
    live = DataKey.objects.filter(object_id=object_id, destroyed_at__isnull=True)
    if purposes is not None:
        live = live.filter(purpose__in=list(purposes))
    return list(live.order_by("created_at", "pk").values_list("pk", flat=True))


def vault_objects_live(*, created_before: datetime, object_id_regex: str | None = None) -> set[str]:
    """The ids of objects with a live data key made before ``created_before``.

    ``object_id_regex`` (a database regular expression) narrows them to ids of one shape.
    """
    live = DataKey.objects.filter(destroyed_at__isnull=True, created_at__lt=created_before)
    if object_id_regex is not None:
        live = live.filter(object_id__regex=object_id_regex)
    return set(live.values_list("object_id", flat=True))


def vault_objects_on_own_or_master_key() -> set[str]:
    """The ids of objects with a live data key that no shared retention key wraps yet: the
    master key wraps it directly, or the object's own retention key does."""
    waiting = DataKey.objects.filter(destroyed_at__isnull=True).filter(
        Q(retention_key="") | Q(retention_key__startswith=OBJECT_KEY_PREFIX)
    )
    return set(waiting.values_list("object_id", flat=True).distinct())


def retention_keys_live() -> list[str]:
    """The labels of the retention keys not destroyed yet, sorted."""
    return list(
        RetentionKey.objects.filter(destroyed_at__isnull=True)
        .order_by("label")
        .values_list("label", flat=True)
    )
