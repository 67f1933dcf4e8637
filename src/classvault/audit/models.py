"""The append-only, hash-chained audit log (docs/audit.md)."""

import hashlib
import json
from datetime import UTC

from django.db import models

from .keys import AuditKey

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One event. ``hash`` = HMAC-SHA256 under the audit key over the canonical form of every
    other field, including ``prev_hash``, so changing, removing or reordering rows breaks the
    chain, and no one without the key can compute a chain that verifies.

    Events written before the audit key existed carry a plain SHA-256 of the same form; they
    may only precede the first keyed event (an ``audit.keyed`` event marks the switch).
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    purpose = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor}"

    @property
    def object(self) -> str:
        return f"{self.object_type}:{self.object_id}" if self.object_type else ""

    def canonical(self) -> bytes:
        """The exact bytes that are hashed: stable across SQLite and PostgreSQL."""
        body = {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "purpose": self.purpose,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def compute_hash(self, key: AuditKey) -> str:
        return key.mac(self.canonical())

    def compute_legacy_hash(self) -> str:
        """The unkeyed hash of events written before the audit key existed."""
        return hashlib.sha256(self.canonical()).hexdigest()


class AuditHead(models.Model):
    """One row: the last sequence number and hash. Writers lock it to append in order;
    verify compares it with the last row, so dropping the newest events is noticed.

    ``keyed_from`` is the first event hashed with the audit key (0: none yet); writers read it
    to know whether the switch from plain SHA-256 still has to be recorded. Verify trusts
    none of this row beyond what the chain and the checkpoints confirm.
    """

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    keyed_from = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head at #{self.last_seq}"
