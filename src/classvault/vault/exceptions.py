"""Errors of the vault: tampering, missing or destroyed keys, missing objects.

They are not :class:`classvault.core.exceptions.DomainError`: none of them is the caller's
fault, so an interface maps them itself (a shredded recording is a 404, tampering a 500).
"""


class VaultError(Exception):
    """Base of every error the vault raises on purpose."""


class VaultIntegrityError(VaultError):
    """Stored ciphertext failed authentication: tampered, truncated, swapped or corrupt.

    Raised before any byte of the affected segment reaches the caller.
    """


class VaultKeyError(VaultError):
    """A data key cannot be unwrapped: wrong context, unknown or missing master key."""


class KeyDestroyed(VaultKeyError):
    """The data key was crypto-shredded; what it protected can never be decrypted again."""


class VaultNotFound(VaultError):
    """No live data key or no blob for the requested object."""


class BlobNotFound(VaultNotFound):
    """The blob store holds nothing under this name."""


class ObjectRetired(VaultError):
    """The object was deleted for good: no new key may be made for it (a late writer lost)."""
