"""Redaction jobs: who ordered what, for which pupils and why, and how far the work is."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    ANALYSING = "analysing", _("finding faces")
    REVIEW = "review", _("waiting for review")
    CONFIRMED = "confirmed", _("confirmed, queued")
    RENDERING = "rendering", _("blurring and encoding")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


# A worker may take a job in these states (holding its lease).
WORKABLE = [JobStatus.QUEUED, JobStatus.ANALYSING, JobStatus.CONFIRMED, JobStatus.RENDERING]
# A job in these states blocks another order for the same recording.
OPEN = [*WORKABLE, JobStatus.REVIEW]


class RedactionJob(models.Model):
    """One ordered redaction of a recording's rendition.

    ``faces`` is "all" or "none"; ``track`` lists the marks of the one person to follow
    (``[{"at_seconds", "box": [x, y, w, h]}]``); ``mute`` the second ranges to silence;
    ``pupils`` the pupils the redaction removes (for a withdrawal: it may unblock the
    recording). The first pass stores ``analysis`` (the face tracks, so the second pass
    needs no new detection) and, in one-person mode, waits for a person to review it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.CASCADE, related_name="redaction_jobs"
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    faces = models.CharField(max_length=8, default="all")
    track = models.JSONField(default=list)
    mute = models.JSONField(default=list)
    pupils = models.JSONField(default=list)
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    analysis = models.JSONField(null=True, blank=True)
    progress = models.FloatField(default=0.0)
    frames_per_second = models.FloatField(default=0.0)
    seconds_left = models.FloatField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker's lease, as for transcoding (recordings/processing.py): renewed while the
    # job progresses; a killed worker lets it lapse and the next one starts the pass again.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    takeovers = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recording"],
                condition=models.Q(
                    status__in=["queued", "analysing", "review", "confirmed", "rendering"]
                ),
                name="redaction_one_open_per_recording",
            ),
        ]

    def __str__(self) -> str:
        return f"redaction {self.pk} of {self.recording_id}"

    @property
    def needs_review(self) -> bool:
        """One-person mode: a person confirms the computed track before it replaces."""
        return self.faces == "none" and bool(self.track)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN
