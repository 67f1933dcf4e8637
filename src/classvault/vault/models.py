"""Data keys: one per stored object, kept only wrapped; and the retention keys that wrap them."""

import re
import uuid

from django.db import models

from .purposes import Purpose

# Object ids end up in blob names, wrap contexts and associated data: a plain alphabet
# keeps all three unambiguous and path-safe (a recording's UUID or number fits).
OBJECT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class DataKey(models.Model):
    """The data key of one stored object, wrapped by a retention key or a master key (KEK).

    ``retention_key`` names the retention key that wraps it (``kek_id`` is then that key's id);
    empty means the master key wraps it directly. Destroying it (crypto-shredding) empties
    ``wrapped`` and sets ``destroyed_at``; the row stays as evidence of when, and the blob it
    protected can never be decrypted again.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed as the first column of the index in Meta, which also serves vault_open.
    object_id = models.CharField(max_length=64)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    wrapped = models.BinaryField(null=True, editable=False)
    kek_id = models.CharField(max_length=16)
    retention_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True)
    # A parted object (vault/parts.py) is stored as numbered part blobs, each encrypted as it
    # arrives: ``part_size`` plaintext bytes per part (0: one blob), ``parts`` once sealed.
    # Until it is sealed (``sealed`` False) nobody can open it.
    part_size = models.BigIntegerField(default=0)
    segment_size = models.PositiveIntegerField(default=0)
    nonce_prefix = models.BinaryField(null=True, blank=True, editable=False)
    parts = models.PositiveIntegerField(default=0)
    sealed = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["object_id", "purpose", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(destroyed_at__isnull=True, wrapped__isnull=False)
                    | models.Q(destroyed_at__isnull=False, wrapped__isnull=True)
                ),
                name="datakey_wrapped_only_while_live",
            ),
            models.CheckConstraint(
                condition=models.Q(purpose__in=[p.value for p in Purpose]),
                name="datakey_purpose_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"data key {self.pk} for {self.object_id}/{self.purpose}"

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None

    @property
    def wrap_context(self) -> bytes:
        """What the wrapped key is bound to: moved to another row, it will not unwrap."""
        return f"classvault.datakey.v1|{self.pk}|{self.object_id}|{self.purpose}".encode()

    @property
    def segment_object_id(self) -> str:
        """The object id bound into every segment of the blob (its associated data)."""
        return f"{self.object_id}/{self.purpose}"

    @property
    def blob_name(self) -> str:
        """Where the encrypted object lives in the blob store: one folder per object id."""
        return f"{self.object_id}/{self.purpose}.{self.pk.hex}.cv"

    @property
    def blob_prefix(self) -> str:
        """What the names of this key's blob, or of all its parts, start with."""
        return f"{self.object_id}/{self.purpose}.{self.pk.hex}."

    def part_blob_name(self, index: int) -> str:
        """Where part ``index`` of a parted object lives (the first holds the header)."""
        return f"{self.blob_prefix}{index:06d}.cv"


class RetentionKey(models.Model):
    """A retention key: it wraps the data keys of one retention period.

    The key itself is never in the database: it lives, wrapped by the master key, as a file in
    the retention key folder (``vault/retention_keys.py``), which database backups do not
    contain.
    This row only records which key belongs to the label, and when it was made and destroyed.
    """

    label = models.CharField(primary_key=True, max_length=64)
    # The public id of the key (as kek_id_for); empty only inside the transaction making it.
    key_id = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"retention key {self.label}"

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None
