"""Hooks the vault runs for the apps above it (see classvault.core.hooks)."""

from datetime import datetime
from typing import Protocol

from classvault.core.hooks import Hook


class RetentionKeyPolicy(Protocol):
    def __call__(self, *, object_id: str, now: datetime) -> str | None: ...


retention_key_policy: Hook[RetentionKeyPolicy] = Hook("vault.retention_key_policy")
"""Asked, in registration order, which retention key a new data key of ``object_id`` is
wrapped under, inside the transaction that stores it; the first label wins, and without one
the master key wraps it. A policy may raise ObjectRetired to refuse a key for an object
deleted meanwhile. Retention registers its policy (the vault knows no recordings)."""
