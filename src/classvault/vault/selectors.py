"""Reads of the vault: the live data key of an object, and a decrypting reader for it.

These check no permissions: callers fetch the recording through its visibility selector
first and pass on only ids they are allowed to read.
"""

from .blobs import blob_store
from .exceptions import VaultNotFound
from .files import DecryptingFile
from .models import DataKey
from .segments import SegmentReader
from .services import data_key_unwrap


def data_key_get_live(*, object_id: str, purpose: str) -> DataKey:
    """The newest live data key of an object; :class:`VaultNotFound` if none (or shredded)."""
    data_key = (
        DataKey.objects.filter(object_id=object_id, purpose=purpose, destroyed_at__isnull=True)
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
    source = blob_store().open_range(data_key.blob_name)
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
