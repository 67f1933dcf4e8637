"""Blob stores: where the encrypted objects live. Only ciphertext ever reaches them.

:class:`BlobStore` is the interface; :class:`classvault.vault.s3.S3BlobStore` keeps blobs
as objects in an S3 bucket, :class:`FileBlobStore` as files under a root folder. Its writes
are atomic: a blob is written under a hidden temporary name in its final folder, fsynced and
renamed, so a name either holds a complete blob or nothing.
"""

import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Self
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .exceptions import BlobNotFound

# Every part of a name starts with a letter, digit, "_" or "-": no "..", no absolute
# paths, no hidden files (the temporary files are hidden, so they can never collide).
_PART_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
MAX_NAME_LENGTH = 1024


def validate_blob_name(name: str) -> list[str]:
    """Split a blob name into its parts, refusing anything that could leave the store."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_LENGTH:
        raise ValueError("A blob name is a non-empty string of at most 1024 characters.")
    parts = name.split("/")
    if not all(_PART_RE.fullmatch(part) for part in parts):
        raise ValueError(f"Unsafe blob name {name!r}: use letters, digits, '.', '_', '-', '/'.")
    return parts


class BlobRange:
    """An open blob read by byte range (a :class:`RangeSource` for ``SegmentReader``)."""

    def __init__(self, path: Path) -> None:
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise BlobNotFound(f"No blob at {path.name}.") from None
        # The size is fixed at open: blobs are replaced by rename, never rewritten in place.
        self._size = os.fstat(self._fd).st_size

    def __repr__(self) -> str:
        return f"<BlobRange fd={self._fd} size={self._size}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        """Read ``length`` bytes at ``offset`` without moving a file position (thread-safe)."""
        data = os.pread(self._fd, length, offset)
        if len(data) == length or not data:
            return data
        parts = [data]
        got = len(data)
        while got < length:
            more = os.pread(self._fd, length - got, offset + got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class BlobWriter(ABC):
    """A blob being written; it appears under its name only when committed."""

    size: int = 0

    @abstractmethod
    def write(self, data: bytes) -> int:
        """Append ``data``; return its length."""

    @abstractmethod
    def commit(self) -> None:
        """Make the blob durable and visible under its name, all at once."""

    @abstractmethod
    def abort(self) -> None:
        """Throw away what was written; nothing remains."""


class BlobStore(ABC):
    """Named, immutable blobs of ciphertext."""

    @abstractmethod
    def start_write(self, name: str) -> BlobWriter:
        """Begin writing a blob; prefer :meth:`open_write`, which commits or aborts."""

    @contextmanager
    def open_write(self, name: str) -> Iterator[BlobWriter]:
        """Write a blob in a ``with`` block: committed on success, gone after an exception."""
        writer = self.start_write(name)
        try:
            yield writer
            writer.commit()
        except BaseException:
            writer.abort()
            raise

    def put_stream(self, name: str, chunks: Iterable[bytes]) -> int:
        """Store ``chunks`` under ``name`` atomically; return the number of bytes written.

        If ``chunks`` raises, nothing is stored and no temporary remains.
        """
        with self.open_write(name) as writer:
            for chunk in chunks:
                writer.write(chunk)
        return writer.size

    @abstractmethod
    def open_range(self, name: str) -> BlobRange:
        """Open a blob for reading by byte range; close it (or use ``with``) when done."""

    @abstractmethod
    def size(self, name: str) -> int:
        """The size of a blob in bytes; :class:`BlobNotFound` if there is none."""

    @abstractmethod
    def delete(self, name: str) -> bool:
        """Remove a blob; True if it existed. Deleting a missing blob is not an error."""

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether a complete blob is stored under ``name``."""

    @abstractmethod
    def names(self, prefix: str = "") -> Iterator[str]:
        """The names of the stored blobs that start with ``prefix``, sorted."""

    @abstractmethod
    def purge_unfinished(self, folder: str) -> int:
        """Remove writes under ``folder`` that never committed (a killed writer's leftovers).

        Only call it when no writer can be active there (e.g. under the job's lease).
        """

    def probe(self) -> None:
        """A cheap real check that the store answers (for the health check); raises if not."""
        self.exists("health-probe")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileBlobWriter(BlobWriter):
    """Writes to a hidden temporary file in the blob's folder; commit renames it."""

    def __init__(
        self, fd: int, temp: Path, path: Path, prune: Callable[[Path], None] = lambda folder: None
    ) -> None:
        self._file = os.fdopen(fd, "wb")
        self._temp = temp
        self._path = path
        self._prune = prune
        self.size = 0

    def __repr__(self) -> str:
        return f"<FileBlobWriter {self._path.name} size={self.size}>"

    def write(self, data: bytes) -> int:
        self._file.write(data)
        written = memoryview(data).nbytes
        self.size += written
        return written

    def commit(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._temp, self._path)
        fsync_dir(self._path.parent)

    def abort(self) -> None:
        self._file.close()
        with suppress(FileNotFoundError):
            os.unlink(self._temp)
        # The folder was made for this blob (one per object): a refused upload leaves no
        # trace of its id, not even an empty folder.
        self._prune(self._path.parent)


class FileBlobStore(BlobStore):
    """Blobs as files under ``root``: folders mode 0700, files mode 0600."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"<FileBlobStore {self.root}>"

    def _path(self, name: str) -> Path:
        path = self.root.joinpath(*validate_blob_name(name))
        # Belt and braces: a symlinked folder inside the root must not lead outside it.
        if not path.resolve().is_relative_to(self.root):
            raise ValueError(f"Unsafe blob name {name!r}: it leaves the store.")
        return path

    def _make_dirs(self, folder: Path) -> None:
        """Create missing folders, fsyncing each parent so the new entry survives a crash."""
        missing = []
        while folder != self.root and not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        if not self.root.is_dir():
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in reversed(missing):
            with suppress(FileExistsError):
                path.mkdir(mode=0o700)
            fsync_dir(path.parent)

    def _open_temp(self, path: Path) -> tuple[int, Path]:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for attempt in range(2):
            self._make_dirs(path.parent)
            temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
            try:
                return os.open(temp, flags, 0o600), temp
            except FileNotFoundError:
                # A concurrent delete pruned the (then empty) folder: make it again once.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def start_write(self, name: str) -> "FileBlobWriter":
        path = self._path(name)
        fd, temp = self._open_temp(path)
        return FileBlobWriter(fd, temp, path, prune=self._prune_empty)

    def open_range(self, name: str) -> BlobRange:
        return BlobRange(self._path(name))

    def size(self, name: str) -> int:
        try:
            return self._path(name).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(f"No blob named {name!r}.") from None

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def delete(self, name: str) -> bool:
        path = self._path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        self._prune_empty(path.parent)
        return True

    def _prune_empty(self, folder: Path) -> None:
        """Remove ``folder`` and its parents below the root while they are empty, so a
        shredded or refused object leaves no trace of its id."""
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (another blob of the object), or already gone
            folder = folder.parent

    def names(self, prefix: str = "") -> Iterator[str]:
        base = prefix.rpartition("/")[0]
        start = self._path(base) if base else self.root
        found = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).parts
            for filename in filenames:
                if filename.startswith("."):
                    continue
                name = "/".join((*rel, filename))
                if name.startswith(prefix):
                    found.append(name)
        return iter(sorted(found))

    def probe(self) -> None:
        problem = folder_problem(self.root)
        if problem:
            raise OSError(problem)

    def purge_unfinished(self, folder: str) -> int:
        path = self._path(folder)
        if not path.is_dir():
            return 0
        removed = 0
        for temp in path.rglob(".*.tmp"):
            with suppress(FileNotFoundError):
                temp.unlink()
                removed += 1
        return removed


def _file_url_root(url: str) -> Path:
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"CLASSVAULT_STORAGE_URL {url!r} is not a local file URL: use file:///absolute/path."
        )
    if not path.startswith("/"):
        raise ImproperlyConfigured(
            f"CLASSVAULT_STORAGE_URL {url!r} needs an absolute path: file:///absolute/path."
        )
    if "\x00" in path:
        raise ImproperlyConfigured(
            f"CLASSVAULT_STORAGE_URL {url!r} holds a NUL character (%00), which no path may."
        )
    return Path(path)


def blob_store() -> BlobStore:
    """The store named by ``settings.CLASSVAULT_STORAGE_URL``.

    Settings compute the default URL from ``CLASSVAULT_HOME`` once, at import. When the URL
    is still that default, the blobs follow the live ``settings.CLASSVAULT_HOME`` instead, so
    a test (or anything else) that moves the home moves the blobs with it.
    """
    url = settings.CLASSVAULT_STORAGE_URL
    if url == settings.CLASSVAULT_STORAGE_URL_DEFAULT:
        return FileBlobStore(Path(settings.CLASSVAULT_HOME) / "blobs")
    scheme = urlsplit(url).scheme
    if scheme == "file":
        return FileBlobStore(_file_url_root(url))
    if scheme == "s3":
        try:
            from .s3 import S3BlobStore
        except ImportError as exc:  # boto3 is a dependency; a broken install still says why
            raise ImproperlyConfigured(f"The S3 blob store needs boto3: {exc}") from None
        return S3BlobStore.from_url(url)
    raise ImproperlyConfigured(
        f"CLASSVAULT_STORAGE_URL scheme {scheme!r} is not supported: use file:///absolute/path "
        "or s3://bucket/prefix. Unset it to use CLASSVAULT_HOME/blobs."
    )


def folder_problem(root: Path) -> str | None:
    """Why ``root`` cannot hold blobs: it must be a writable folder, or be creatable as one
    (it is made on first use). None when it can."""
    where = f"The blob store folder {root}"
    if root.exists():
        if not root.is_dir():
            return f"{where} is not a folder."
        if not os.access(root, os.W_OK | os.X_OK):
            return f"{where} is not writable for this user."
        return None
    parent = root.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{where} cannot be created: {parent} is not a folder."
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{where} cannot be created: {parent} is not writable for this user."
    return None
