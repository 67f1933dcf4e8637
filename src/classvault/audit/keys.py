"""The audit key: the secret without which no one can forge the chain's hashes.

``CLASSVAULT_AUDIT_KEY_FILE`` (default ``audit.key`` beside the master key) holds 256 random
bits as 64 hex characters, mode 0600, created by ``classvault init``. It never enters the
database, so someone who can write the database alone cannot recompute a valid chain.
"""

import hashlib
import hmac
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

AUDIT_KEY_SIZE = 32
_KEY_ID_LABEL = b"classvault.audit-key-id\x00"


class AuditKeyError(ImproperlyConfigured):
    """The audit key is missing or unreadable: events can be neither written nor verified."""


class AuditKey:
    """The key ready for use; shows only its public id, never the key bytes."""

    __slots__ = ("id", "_key")

    def __init__(self, key: bytes) -> None:
        if len(key) != AUDIT_KEY_SIZE:
            raise ValueError("an audit key is 32 bytes")
        self.id = hashlib.sha256(_KEY_ID_LABEL + key).hexdigest()[:8]
        self._key = key

    def __repr__(self) -> str:
        return f"<AuditKey {self.id}>"

    def mac(self, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` under this key, as 64 hex characters."""
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def _read(path: Path) -> AuditKey:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise AuditKeyError(
            f"The audit key file {path} does not exist: run `classvault init`, or set "
            "CLASSVAULT_AUDIT_KEY_FILE to the key this audit log was written with."
        ) from None
    except (UnicodeDecodeError, PermissionError) as exc:
        raise AuditKeyError(f"The audit key file {path} cannot be read.") from exc
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    # The content is deliberately left out of every message.
    if len(raw) != AUDIT_KEY_SIZE:
        raise AuditKeyError(
            f"The audit key file {path} must hold 64 hexadecimal characters (256 bits)."
        )
    return AuditKey(raw)


_cached: tuple[tuple, AuditKey] | None = None


def audit_key() -> AuditKey:
    """The configured audit key, reread whenever its file changes (one stat per call)."""
    global _cached
    path = Path(settings.CLASSVAULT_AUDIT_KEY_FILE)
    try:
        st = path.stat()
        signature: tuple = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        signature = (str(path), None)
    if _cached is None or _cached[0] != signature:
        _cached = (signature, _read(path))
    return _cached[1]
