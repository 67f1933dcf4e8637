"""Legal holds, deadline reminders, deletion tombstones and the retention schedule's runs."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalHold(models.Model):
    """A recording kept beyond its expiry for a legal obligation (R4), placed by the privacy
    officer. At most one active hold per recording; released holds stay as history until
    the recording goes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # PROTECT: the database itself refuses to delete a recording while a hold row points at
    # it. Deletion removes released holds explicitly first; an active one stops everything.
    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField()
    reference = models.CharField(max_length=200, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recording"],
                condition=models.Q(released_at__isnull=True),
                name="legal_hold_one_active",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(released_at__isnull=True, released_by__isnull=True)
                    | models.Q(released_at__isnull=False, released_by__isnull=False)
                ),
                name="legal_hold_released_with_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold on {self.recording_id}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class Reminder(models.Model):
    """One deadline reminder (R1): for this recording, this expiry, this many days before.

    The row is inserted *before* the mail goes out (the unique constraint makes one worker
    win); ``sent_at`` is set after. An unsent claim older than the lease is taken over. A
    moved expiry is a new deadline and gets reminders of its own.
    """

    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.CASCADE, related_name="retention_reminders"
    )
    expires_at = models.DateTimeField()
    days_before = models.PositiveSmallIntegerField()
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recording", "expires_at", "days_before"], name="reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.days_before}-day reminder for {self.recording_id}"


class TombstoneReason(models.TextChoices):
    EXPIRED = "expired", _("retention period over")
    DELETED = "deleted", _("deleted by hand")


class Tombstone(models.Model):
    """What is left of a deleted recording: its id and when. Its keys were destroyed and its
    rows deleted in the same transaction that wrote this; ``blobs_cleared_at`` is set once
    its (unreadable) blobs are gone too, so an interrupted deletion is finished later.
    It also stops a late writer from storing anything new under the id."""

    recording_id = models.UUIDField(primary_key=True)
    reason = models.CharField(max_length=16, choices=TombstoneReason.choices)
    expires_at = models.DateTimeField()
    deleted_at = models.DateTimeField()
    # Enough to answer a pupil's access request after the deletion (GDPR art. 15, R12): when
    # it was recorded, by whom, at which school; and (TombstonePupil) which pupils took part.
    # Empty for recordings deleted before these were kept.
    recorded_at = models.DateTimeField(null=True, blank=True)
    owner = models.CharField(max_length=150, blank=True)
    school = models.CharField(max_length=32, blank=True)
    blobs_cleared_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"tombstone of {self.recording_id}"


class TombstonePupil(models.Model):
    """A pupil who took part in a deleted recording (not one attested out of view), by
    opaque id: the pupil's access report lists the recording as deleted, with when and why."""

    tombstone = models.ForeignKey(Tombstone, on_delete=models.CASCADE, related_name="pupils")
    pupil_id = models.UUIDField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tombstone", "pupil_id"], name="tombstone_pupil_once")
        ]

    def __str__(self) -> str:
        return f"pupil {self.pupil_id} in {self.tombstone_id}"


class RetentionRun(models.Model):
    """One run of the retention schedule. ``slot`` is the start of its interval: the worker
    that inserts it runs retention, every other worker skips that interval."""

    slot = models.DateTimeField(primary_key=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    deleted = models.PositiveIntegerField(default=0)
    reminders = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"retention run {self.slot.isoformat()}"
