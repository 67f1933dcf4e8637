"""Parted objects: one vault object written as numbered part blobs, each when it arrives.

A resumable upload or a recording made in the browser reaches the server as chunks, over
minutes or hours and across requests. Each chunk is encrypted at once as the segments it
will be in the final object (same data key, same nonce prefix, segment counter running on
from the previous part) and stored as its own part blob; sealing the object only checks
that its last segment carries the last-segment flag (re-sealing that one segment when the
end was not known as it arrived) and marks the key row sealed. So completing takes the same
time for 64 MiB as for 1 GiB, and no byte is ever encrypted twice or held as plaintext
outside memory.

The concatenation of the parts is exactly a version-1 object (docs/vault-format.md), so the
ordinary :class:`SegmentReader` reads it through :class:`PartedRange`. Only the primitives of
:class:`BlobStore` are used (atomic write, range read, size, delete, names): any store that
keeps blobs keeps parted objects too.
"""

import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .blobs import BlobStore
from .exceptions import VaultIntegrityError
from .models import DataKey
from .segments import (
    DEFAULT_SEGMENT_SIZE,
    HEADER_SIZE,
    NONCE_PREFIX_SIZE,
    TAG_SIZE,
    Header,
    SegmentReader,
    SegmentWriter,
    _nonce,
    _object_id_bytes,
)


def parted_segment_size(part_size: int) -> int:
    """The segment size of a parted object with parts of ``part_size`` plaintext bytes."""
    if part_size <= 0:
        raise ValueError("part_size must be positive")
    segment_size = min(DEFAULT_SEGMENT_SIZE, part_size)
    if part_size % segment_size:
        raise ValueError(
            f"part_size must be a multiple of {segment_size} bytes (a whole number of segments)"
        )
    return segment_size


def _full_part_ciphertext(data_key: DataKey) -> int:
    segments = data_key.part_size // data_key.segment_size
    return data_key.part_size + segments * TAG_SIZE


class PartedRange:
    """The part blobs of a sealed parted object read as one :class:`RangeSource`.

    Every part but the last has the same ciphertext size (the first 16 bytes more, its
    header); the last part's size is asked of the store. Parts are opened when first read.
    """

    def __init__(self, store: BlobStore, data_key: DataKey) -> None:
        self._store = store
        self._names = [data_key.part_blob_name(i) for i in range(data_key.parts)]
        full = _full_part_ciphertext(data_key)
        self._starts = [0] + [HEADER_SIZE + full * i for i in range(1, len(self._names))]
        self._size = self._starts[-1] + store.size(self._names[-1])
        self._open: dict[int, object] = {}

    def __repr__(self) -> str:
        return f"<PartedRange parts={len(self._names)} size={self._size}>"

    @property
    def size(self) -> int:
        return self._size

    def _part(self, index: int):
        if index not in self._open:
            self._open[index] = self._store.open_range(self._names[index])
        return self._open[index]

    def read(self, offset: int, length: int) -> bytes:
        pieces = []
        end = min(offset + length, self._size)
        while offset < end:
            # The part holding ``offset``: the last start at or before it.
            index = next(
                i for i in range(len(self._starts) - 1, -1, -1) if self._starts[i] <= offset
            )
            part_end = self._starts[index + 1] if index + 1 < len(self._starts) else self._size
            take = min(end, part_end) - offset
            data = self._part(index).read(offset - self._starts[index], take)
            pieces.append(data)
            offset += len(data)
            if len(data) != take:
                break  # a part shorter than it should be: the reader sees a short read
        return b"".join(pieces)

    def close(self) -> None:
        for source in self._open.values():
            source.close()
        self._open.clear()


def part_write(
    *,
    store: BlobStore,
    data_key: DataKey,
    raw_key: bytes,
    index: int,
    chunks: Iterable[bytes],
    length: int,
    last: bool,
) -> int:
    """Encrypt part ``index`` (``length`` plaintext bytes) into its blob; its ciphertext size.

    A part that more parts follow holds exactly ``part_size`` bytes. A chunk longer or
    shorter than announced raises ``ValueError`` and stores nothing; a part written again
    (a retry whose answer got lost) replaces the earlier blob atomically.
    """
    if not 0 <= length <= data_key.part_size or (not last and length != data_key.part_size):
        raise ValueError(f"part {index} must hold {data_key.part_size} bytes")
    if last and length == 0 and index > 0:
        raise ValueError("an empty last part: seal the object without it")
    first = index * (data_key.part_size // data_key.segment_size)
    got = 0
    with store.open_write(data_key.part_blob_name(index)) as blob:
        writer = SegmentWriter(
            raw_key,
            data_key.segment_object_id,
            blob,
            segment_size=data_key.segment_size,
            nonce_prefix=bytes(data_key.nonce_prefix),
            first_segment=first,
        )
        for chunk in chunks:
            got += len(chunk)
            if got > length:
                raise ValueError("the part is longer than announced")
            writer.write(chunk)
        if got != length:
            raise ValueError("the part was cut off")
        writer.close(last=last)
    return writer.ciphertext_size


def part_reseal_last(*, store: BlobStore, data_key: DataKey, raw_key: bytes, parts: int) -> None:
    """Give the object's final segment the last-segment flag, if it lacks it.

    A recording stopped (or a tab closed) right after a whole part arrived ends with a
    segment sealed as "more follows". Only that one segment is decrypted (in memory) and
    sealed again with the flag; the rest of the part's ciphertext is copied as it is.
    """
    name = data_key.part_blob_name(parts - 1)
    with store.open_range(name) as source:
        data = source.read(0, source.size)
    start = HEADER_SIZE if parts == 1 else 0
    full = data_key.segment_size + TAG_SIZE
    body = len(data) - start
    if body < TAG_SIZE:
        raise VaultIntegrityError(f"Part {parts - 1} of {data_key.object_id!r} is truncated.")
    count = -(-body // full)
    at = start + (count - 1) * full
    index = (parts - 1) * (data_key.part_size // data_key.segment_size) + count - 1
    prefix = bytes(data_key.nonce_prefix)
    header = Header(data_key.segment_size, prefix).to_bytes()
    aad = header + _object_id_bytes(data_key.segment_object_id)
    aead = AESGCM(raw_key)
    try:
        plain = aead.decrypt(_nonce(prefix, index, False), data[at:], aad)
    except InvalidTag:
        # Already sealed as the last segment (a seal that was cut short ran this before)?
        try:
            aead.decrypt(_nonce(prefix, index, True), data[at:], aad)
        except InvalidTag:
            raise VaultIntegrityError(
                f"The last part of {data_key.object_id!r} failed authentication."
            ) from None
        return
    store.put_stream(name, [data[:at], aead.encrypt(_nonce(prefix, index, True), plain, aad)])


def parted_check(*, store: BlobStore, data_key: DataKey, raw_key: bytes) -> tuple[int, int]:
    """(plaintext size, ciphertext size) of a parted object, after authenticating its end."""
    source = PartedRange(store, data_key)
    with SegmentReader(raw_key, data_key.segment_object_id, source) as reader:
        return reader.plaintext_size, reader.ciphertext_size


def new_part_key_fields(part_size: int) -> dict:
    """The fields of a new key row for a parted object: unsealed, with its nonce prefix."""
    return {
        "part_size": part_size,
        "segment_size": parted_segment_size(part_size),
        "nonce_prefix": os.urandom(NONCE_PREFIX_SIZE),
        "sealed": False,
    }


__all__ = [
    "PartedRange",
    "new_part_key_fields",
    "part_reseal_last",
    "part_write",
    "parted_check",
    "parted_segment_size",
]
