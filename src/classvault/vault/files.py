"""File-like views of vault objects, for code that wants files (PyAV, image libraries)."""

import io

from .segments import SegmentReader


class DecryptingFile(io.RawIOBase):
    """A read-only, seekable file of an object's plaintext, decrypted segment by segment.

    Only the segment under the read position is held in memory, so small reads (PyAV reads
    32 KiB at a time) cost one decryption per segment, not one per read. Closing the file
    closes the reader and its blob.
    """

    def __init__(self, reader: SegmentReader) -> None:
        super().__init__()
        self._reader = reader
        self._size = reader.plaintext_size
        self._position = 0
        self._cached_index = -1
        self._cached = b""

    def __repr__(self) -> str:
        return f"<DecryptingFile {self._reader.object_id!r} size={self._size}>"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def _segment(self, index: int) -> bytes:
        if index != self._cached_index:
            self._cached = self._reader.read_segment(index)
            self._cached_index = index
        return self._cached

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        filled = 0
        segment_size = self._reader.segment_size
        while filled < len(view) and self._position < self._size:
            index, offset = divmod(self._position, segment_size)
            plain = self._segment(index)
            count = min(len(view) - filled, len(plain) - offset)
            view[filled : filled + count] = memoryview(plain)[offset : offset + count]
            filled += count
            self._position += count
        return filled

    def close(self) -> None:
        if not self.closed:
            self._reader.close()
            self._cached = b""
        super().close()
