"""The vault's object format: AES-256-GCM in a STREAM construction, readable at random.

An object is a 16-byte header followed by segments; every segment holds ``segment_size``
bytes of plaintext (the last one 1..segment_size, or 0 for an empty object) plus a 16-byte
GCM tag. docs/vault-format.md describes it byte by byte and carries test vectors.

    header  = magic "CVLT" | version 0x01 | segment_size (u32 BE) | nonce_prefix (7 bytes)
    nonce_i = nonce_prefix | i (u32 BE) | 0x01 if i is the last segment else 0x00
    aad     = header | object_id (UTF-8)

The counter in the nonce detects reordering and dropped segments, the last-segment flag
detects truncation at a segment boundary, and the header and object id in every segment's
associated data detect a header edit or a segment (or a whole object) moved between objects.
"""

import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .exceptions import VaultError, VaultIntegrityError

MAGIC = b"CVLT"
VERSION = 1
HEADER = struct.Struct(">4sBI7s")
HEADER_SIZE = HEADER.size  # 16
NONCE_PREFIX_SIZE = 7
TAG_SIZE = 16
KEY_SIZE = 32
DEFAULT_SEGMENT_SIZE = 1 << 20
# A cap on what a (possibly forged) header may ask us to hold in memory per segment.
MAX_SEGMENT_SIZE = 1 << 26
MAX_SEGMENTS = 1 << 32
# Ciphertext read from the source in one call: large reads for throughput, bounded memory.
READ_BUDGET = 8 << 20

_SEGMENT_SUFFIX = struct.Struct(">IB")


class Sink(Protocol):
    """Where a :class:`SegmentWriter` puts ciphertext, e.g. a file opened for writing."""

    def write(self, data: bytes, /) -> object: ...


class RangeSource(Protocol):
    """Stored ciphertext that can be read by byte range: a local file now, S3 later."""

    @property
    def size(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes:
        """Return ``length`` bytes from ``offset``; fewer only when the object is shorter."""
        ...


class BytesSource:
    """A :class:`RangeSource` over bytes already in memory (tests, small objects)."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    @property
    def size(self) -> int:
        return len(self._data)

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self._data[offset : offset + length])


@dataclass(frozen=True)
class Header:
    """The public parameters at the start of every object."""

    segment_size: int
    nonce_prefix: bytes

    def to_bytes(self) -> bytes:
        return HEADER.pack(MAGIC, VERSION, self.segment_size, self.nonce_prefix)

    @classmethod
    def parse(cls, data: bytes) -> "Header":
        """Parse and check a header; anything unexpected is an integrity error."""
        if len(data) != HEADER_SIZE:
            raise VaultIntegrityError("The object is shorter than its header.")
        magic, version, segment_size, nonce_prefix = HEADER.unpack(data)
        if magic != MAGIC:
            raise VaultIntegrityError("This is not a vault object (wrong magic bytes).")
        if version != VERSION:
            raise VaultIntegrityError(f"Unsupported vault format version {version}.")
        if not 1 <= segment_size <= MAX_SEGMENT_SIZE:
            raise VaultIntegrityError(f"Implausible segment size {segment_size}.")
        return cls(segment_size=segment_size, nonce_prefix=nonce_prefix)


def _check_segment_size(segment_size: int) -> None:
    if not 1 <= segment_size <= MAX_SEGMENT_SIZE:
        raise ValueError(f"segment_size must be between 1 and {MAX_SEGMENT_SIZE}")


def ciphertext_size_for(plaintext_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """The stored size of an object holding ``plaintext_size`` bytes."""
    _check_segment_size(segment_size)
    segments = max(1, -(-plaintext_size // segment_size))
    return HEADER_SIZE + plaintext_size + segments * TAG_SIZE


def _layout(body_size: int, segment_size: int) -> tuple[int, int]:
    """(segment count, ciphertext length of the last segment) for a body of this size.

    Only the sizes a writer can produce are accepted: a last segment that is empty or cut
    inside its tag means the object was truncated.
    """
    full = segment_size + TAG_SIZE
    if body_size < TAG_SIZE:
        raise VaultIntegrityError("The object is truncated: no complete segment.")
    count = -(-body_size // full)
    last_len = body_size - (count - 1) * full
    if last_len < TAG_SIZE or (count > 1 and last_len == TAG_SIZE):
        raise VaultIntegrityError("The object is truncated inside a segment.")
    if count > MAX_SEGMENTS:
        raise VaultIntegrityError("The object has more segments than the format allows.")
    return count, last_len


def plaintext_size_for(ciphertext_size: int, segment_size: int) -> int:
    """The plaintext size implied by a stored size (not yet authenticated)."""
    count, _ = _layout(ciphertext_size - HEADER_SIZE, segment_size)
    return ciphertext_size - HEADER_SIZE - count * TAG_SIZE


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + _SEGMENT_SUFFIX.pack(index, 1 if last else 0)


def _object_id_bytes(object_id: str) -> bytes:
    raw = object_id.encode("utf-8")
    if not raw or len(raw) > 255:
        raise ValueError("object_id must be 1 to 255 bytes of UTF-8")
    return raw


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_SIZE:
        raise ValueError("a data key is 32 bytes (AES-256)")
    return AESGCM(key)


class SegmentWriter:
    """Encrypt a stream of chunks of any size into segments as they arrive.

    The header is written at once; a full segment is sealed only when the next byte
    arrives, because only then is it known not to be the last. ``close()`` seals the final
    segment (also for an empty plaintext). Leaving a ``with`` block by an exception does
    not seal it, so a half-written object reads as truncated rather than as complete.
    """

    def __init__(
        self,
        key: bytes,
        object_id: str,
        sink: Sink,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        nonce_prefix: bytes | None = None,
        first_segment: int = 0,
    ) -> None:
        """``first_segment`` > 0 writes one part of a parted object (see vault/parts.py):
        its segments are numbered from there on and no header is written, the first part's
        has it. ``close(last=False)`` then ends a part that more parts follow."""
        _check_segment_size(segment_size)
        if nonce_prefix is None:
            nonce_prefix = os.urandom(NONCE_PREFIX_SIZE)
        if len(nonce_prefix) != NONCE_PREFIX_SIZE:
            raise ValueError("nonce_prefix is 7 bytes")
        self.object_id = object_id
        self._aead = _aead(key)
        self._sink = sink
        self._segment_size = segment_size
        self._nonce_prefix = nonce_prefix
        header = Header(segment_size, nonce_prefix).to_bytes()
        self._aad = header + _object_id_bytes(object_id)
        # One reused buffer for the segment held back: no allocation per segment.
        self._buffer = memoryview(bytearray(segment_size))
        self._fill = 0
        self._index = first_segment
        self._closed = False
        self.plaintext_size = 0
        self.ciphertext_size = 0
        if first_segment == 0:
            self._emit(header)

    def __repr__(self) -> str:
        return f"<SegmentWriter {self.object_id!r} segments={self._index}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()

    def _emit(self, data: bytes) -> None:
        self._sink.write(data)
        self.ciphertext_size += len(data)

    def _seal(self, plaintext: bytes | bytearray | memoryview, *, last: bool) -> None:
        if self._index >= MAX_SEGMENTS:
            raise VaultError("The object is too large for the segment counter.")
        nonce = _nonce(self._nonce_prefix, self._index, last)
        self._emit(self._aead.encrypt(nonce, plaintext, self._aad))
        self._index += 1

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt ``data``; whole segments go straight from the caller's buffer."""
        if self._closed:
            raise ValueError("write to a closed SegmentWriter")
        view = memoryview(data).cast("B")
        self.plaintext_size += len(view)
        size = self._segment_size
        if self._fill:
            take = min(size - self._fill, len(view))
            self._buffer[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if not view:
                return
            # The buffer is full and more follows, so it is not the last segment.
            self._seal(self._buffer, last=False)
            self._fill = 0
        while len(view) > size:
            self._seal(view[:size], last=False)
            view = view[size:]
        self._buffer[: len(view)] = view
        self._fill = len(view)

    def close(self, *, last: bool = True) -> None:
        """Seal the last segment; the object is complete only after this.

        ``last=False`` ends a part of a parted object that more parts follow: its final
        segment (which must be full) is sealed without the last-segment flag.
        """
        if self._closed:
            return
        if not last and self._fill != self._segment_size:
            raise ValueError("a part that more parts follow ends on a full segment")
        self._seal(self._buffer[: self._fill], last=last)
        self._fill = 0
        self._closed = True


class _ListSink:
    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.pieces.append(data)


def encrypt_chunks(
    chunks: Iterable[bytes],
    *,
    key: bytes,
    object_id: str,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    nonce_prefix: bytes | None = None,
) -> Iterator[bytes]:
    """Yield the ciphertext of ``chunks`` piece by piece, e.g. into a blob store."""
    sink = _ListSink()
    writer = SegmentWriter(
        key, object_id, sink, segment_size=segment_size, nonce_prefix=nonce_prefix
    )
    for chunk in chunks:
        writer.write(chunk)
        yield from sink.pieces
        sink.pieces.clear()
    writer.close()
    yield from sink.pieces


class SegmentReader:
    """Decrypt any byte range of a stored object, touching only the segments it needs.

    The layout follows from the stored size and the header alone. The last segment is
    authenticated (with its last-segment flag) before the size is reported or any range is
    returned, so a truncated object never looks complete. Bytes are only ever returned
    from segments whose tag verified.
    """

    def __init__(self, key: bytes, object_id: str, source: RangeSource) -> None:
        self.object_id = object_id
        self._aead = _aead(key)
        self._source = source
        self.ciphertext_size = source.size
        header_bytes = bytes(source.read(0, HEADER_SIZE))
        header = Header.parse(header_bytes)
        self.segment_size = header.segment_size
        self._nonce_prefix = header.nonce_prefix
        self._aad = header_bytes + _object_id_bytes(object_id)
        self.segment_count, self._last_len = _layout(
            self.ciphertext_size - HEADER_SIZE, self.segment_size
        )
        self._full = self.segment_size + TAG_SIZE
        self._batch = max(1, READ_BUDGET // self._full)
        self._size: int | None = None

    def __repr__(self) -> str:
        return f"<SegmentReader {self.object_id!r} segments={self.segment_count}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the source (an open file, a connection), if it can be closed."""
        close = getattr(self._source, "close", None)
        if close is not None:
            close()

    @property
    def plaintext_size(self) -> int:
        """The plaintext size, after authenticating the last segment (truncation check)."""
        if self._size is None:
            last = self.segment_count - 1
            self._open(last, memoryview(self._read(last, last)))
            self._size = self.ciphertext_size - HEADER_SIZE - self.segment_count * TAG_SIZE
        return self._size

    def _read(self, first: int, last: int) -> bytes:
        offset = HEADER_SIZE + first * self._full
        length = (last - first) * self._full + (
            self._last_len if last == self.segment_count - 1 else self._full
        )
        data = self._source.read(offset, length)
        if len(data) != length:
            raise VaultIntegrityError("The object is shorter than its size said.")
        return data

    def _open(self, index: int, ciphertext: memoryview) -> bytes:
        nonce = _nonce(self._nonce_prefix, index, index == self.segment_count - 1)
        try:
            return self._aead.decrypt(nonce, ciphertext, self._aad)
        except InvalidTag:
            raise VaultIntegrityError(
                f"Segment {index} of {self.object_id!r} failed authentication: the object "
                "was altered, truncated, or does not belong to this id or key."
            ) from None

    def read_segment(self, index: int) -> bytes:
        """The whole plaintext of one segment (for file-like views that cache a segment)."""
        if not 0 <= index < self.segment_count:
            raise IndexError(f"segment {index} is outside 0-{self.segment_count - 1}")
        _ = self.plaintext_size  # the truncation check comes before any byte
        return self._open(index, memoryview(self._read(index, index)))

    def iter_range(self, start: int, end_inclusive: int) -> Iterator[bytes]:
        """Yield the plaintext of bytes ``start..end_inclusive``, one piece per segment."""
        size = self.plaintext_size
        if not 0 <= start <= end_inclusive < size:
            raise ValueError(f"range {start}-{end_inclusive} is outside 0-{size - 1}")
        return self._iter(start, end_inclusive)

    def _iter(self, start: int, end: int) -> Iterator[bytes]:
        seg = self.segment_size
        first, last = start // seg, end // seg
        index = first
        # One segment first, so the first bytes go out at once; then ever larger reads, up to
        # READ_BUDGET, for throughput.
        batch = 1
        while index <= last:
            upto = min(last, index + batch - 1)
            batch = min(self._batch, batch * 2)
            view = memoryview(self._read(index, upto))
            for k in range(index, upto + 1):
                offset = (k - index) * self._full
                plain = self._open(k, view[offset : offset + self._full])
                lo = start - k * seg if k == first else 0
                hi = end - k * seg + 1 if k == last else len(plain)
                yield plain if (lo == 0 and hi == len(plain)) else plain[lo:hi]
            index = upto + 1

    def iter_all(self) -> Iterator[bytes]:
        """Yield the whole plaintext; nothing for an empty (but authenticated) object."""
        size = self.plaintext_size
        return self._iter(0, size - 1) if size else iter(())

    def read_range(self, start: int, end_inclusive: int) -> bytes:
        """The plaintext of bytes ``start..end_inclusive`` (HTTP Range semantics)."""
        return b"".join(self.iter_range(start, end_inclusive))

    def read_all(self) -> bytes:
        """The whole plaintext; meant for small objects such as posters."""
        return b"".join(self.iter_all())
