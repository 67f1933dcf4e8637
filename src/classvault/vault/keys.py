"""Master keys (key-encryption keys, KEKs) and the wrapping of data keys under them.

Envelope encryption: every stored object has its own random data key; only data keys
wrapped by a KEK are stored. A :class:`KeyProvider` hides where KEKs live, so a KMS or
HSM can replace :class:`FileKeyProvider` without touching the rest of the vault.

The file keyring: ``CLASSVAULT_MASTER_KEY_FILE`` holds the current KEK (64 hex characters,
mode 0600, created by ``classvault init``). Retired KEKs sit next to it as
``<name>.retired`` or ``<name>.<label>.retired`` (e.g. ``master.key.2026-11.retired``):
they still unwrap, never wrap. Rotation is: rename the current file to a retired name, run
``classvault init`` to create a new one, re-wrap with ``key_rotate``, then delete the
retired file (docs/vault-format.md).
"""

import hashlib
import os
import struct
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .exceptions import VaultKeyError

KEK_SIZE = 32
DATA_KEY_SIZE = 32
WRAP_VERSION = 1
NONCE_SIZE = 12
# version (1) | kek id (4) | nonce (12), then the 32-byte key and its 16-byte tag.
_WRAP_HEADER = struct.Struct(">B4s12s")
WRAPPED_SIZE = _WRAP_HEADER.size + DATA_KEY_SIZE + 16
_KEK_ID_LABEL = b"classvault.kek-id\x00"
_WRAP_LABEL = b"classvault.vault.wrap\x00"


def kek_id_for(kek: bytes) -> str:
    """The public id of a KEK: 8 hex characters of a domain-separated SHA-256."""
    return hashlib.sha256(_KEK_ID_LABEL + kek).hexdigest()[:8]


class _Kek:
    """One KEK ready for use; keeps the cipher, not the key bytes, and never shows either."""

    __slots__ = ("id", "_aead")

    def __init__(self, kek: bytes) -> None:
        if len(kek) != KEK_SIZE:
            raise ValueError("a master key is 32 bytes")
        self.id = kek_id_for(kek)
        self._aead = AESGCM(kek)

    def __repr__(self) -> str:
        return f"<KEK {self.id}>"


def _aad(kek_id: bytes, context: bytes) -> bytes:
    return _WRAP_LABEL + bytes([WRAP_VERSION]) + kek_id + context


class KeyProvider(ABC):
    """Wraps and unwraps data keys; ``context`` must be the same for both or unwrap fails."""

    @property
    @abstractmethod
    def current_kek_id(self) -> str:
        """The id of the KEK that :meth:`wrap` uses now."""

    @abstractmethod
    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        """Encrypt ``data_key`` under the current KEK, bound to ``context``."""

    @abstractmethod
    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """Decrypt a wrapped key under whichever known KEK wrapped it."""


class LocalKeyProvider(KeyProvider):
    """A keyring of KEKs held in memory: wraps with AES-256-GCM under the first one."""

    def __init__(self, current: bytes, retired: Sequence[bytes] = ()) -> None:
        self._current = _Kek(current)
        self._ring: dict[str, _Kek] = {self._current.id: self._current}
        seen = {self._current.id: current}
        for raw in retired:
            kek = _Kek(raw)
            if kek.id in seen:
                # The same key listed twice is harmless; two keys with one id are ambiguous.
                if seen[kek.id] != raw:
                    raise ImproperlyConfigured(f"Two master keys share the id {kek.id}.")
                continue
            seen[kek.id] = raw
            self._ring[kek.id] = kek

    def __repr__(self) -> str:
        return f"<{type(self).__name__} current={self.current_kek_id} known={self.kek_ids}>"

    @property
    def current_kek_id(self) -> str:
        return self._current.id

    @property
    def kek_ids(self) -> list[str]:
        """Ids of every KEK that can unwrap, current first."""
        return list(self._ring)

    def wrap(self, data_key: bytes, context: bytes, *, _nonce: bytes | None = None) -> bytes:
        if len(data_key) != DATA_KEY_SIZE:
            raise ValueError("a data key is 32 bytes")
        nonce = os.urandom(NONCE_SIZE) if _nonce is None else _nonce
        kek_id = bytes.fromhex(self._current.id)
        sealed = self._current._aead.encrypt(nonce, data_key, _aad(kek_id, context))
        return _WRAP_HEADER.pack(WRAP_VERSION, kek_id, nonce) + sealed

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        wrapped = bytes(wrapped)
        if len(wrapped) != WRAPPED_SIZE or wrapped[0] != WRAP_VERSION:
            raise VaultKeyError("The wrapped data key has an unknown format.")
        _, kek_id, nonce = _WRAP_HEADER.unpack_from(wrapped)
        kek = self._ring.get(kek_id.hex())
        if kek is None:
            raise VaultKeyError(
                f"The data key was wrapped by master key {kek_id.hex()}, which is neither "
                "the current nor a retired master key: restore that key file."
            )
        try:
            return kek._aead.decrypt(nonce, wrapped[_WRAP_HEADER.size :], _aad(kek_id, context))
        except InvalidTag:
            raise VaultKeyError(
                "The data key does not unwrap: it belongs to another object or was altered."
            ) from None


def _read_kek(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"The master key file {path} does not exist: run `classvault init`."
        ) from None
    except (UnicodeDecodeError, PermissionError) as exc:
        raise ImproperlyConfigured(f"The master key file {path} cannot be read.") from exc
    # The content is deliberately left out of every message.
    if len(text) != 2 * KEK_SIZE:
        raise ImproperlyConfigured(
            f"The master key file {path} must hold 64 hexadecimal characters (256 bits)."
        )
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ImproperlyConfigured(
            f"The master key file {path} must hold 64 hexadecimal characters (256 bits)."
        ) from None


def retired_key_files(current: Path) -> list[Path]:
    """The retired KEK files next to ``current``, in a stable order."""
    if not current.parent.is_dir():
        return []
    plain = current.with_name(f"{current.name}.retired")
    found = [plain] if plain.is_file() else []
    found += sorted(current.parent.glob(f"{current.name}.*.retired"))
    return found


class FileKeyProvider(LocalKeyProvider):
    """The embedded default: the current KEK from a file, retired ones from files beside it."""

    def __init__(self, current_file: Path, retired_files: Sequence[Path] = ()) -> None:
        self.current_file = Path(current_file)
        self.retired_files = [Path(p) for p in retired_files]
        super().__init__(_read_kek(self.current_file), [_read_kek(p) for p in self.retired_files])

    @classmethod
    def from_settings(cls) -> "FileKeyProvider":
        """The keyring named by ``settings.CLASSVAULT_MASTER_KEY_FILE``."""
        current = Path(settings.CLASSVAULT_MASTER_KEY_FILE)
        return cls(current, retired_key_files(current))


_cached: tuple[tuple, FileKeyProvider] | None = None


def _signature(files: Sequence[Path]) -> tuple:
    """What identifies the key files' contents: paths, inode, size and change time."""
    result = []
    for path in files:
        try:
            st = path.stat()
        except FileNotFoundError:
            result.append((str(path), None))
        else:
            result.append((str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(result)


def key_provider() -> KeyProvider:
    """The configured key provider, reread whenever a key file changes (a rotation).

    Reading and parsing the key files on every stream request cost more than the decryption;
    the cache holds only while every file looks the same as when it was read.
    """
    global _cached
    current = Path(settings.CLASSVAULT_MASTER_KEY_FILE)
    files = [current, *retired_key_files(current)]
    signature = _signature(files)
    if _cached is None or _cached[0] != signature:
        _cached = (signature, FileKeyProvider(current, files[1:]))
    return _cached[1]
