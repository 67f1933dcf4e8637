"""Shares of a recording with the owner's own trainers and supervisors."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Share(models.Model):
    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.CASCADE, related_name="shares"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recording", "user"], name="share_once"),
        ]

    def __str__(self) -> str:
        return f"{self.recording} shared with {self.user}"


class ScreeningMode(models.TextChoices):
    LIVE = "live", _("live, in the room")
    ONLINE = "online", _("online, in ClassVault")


class Screening(models.Model):
    """A small-group meeting where fellow student teachers see the recording (R8).

    ``online``: attendees may watch in the in-app player between ``starts_at`` and ``ends_at``.
    ``live``: shown in the room by the owner or a trainer; attendees get nothing to open.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.CASCADE, related_name="screenings"
    )
    mode = models.CharField(max_length=8, choices=ScreeningMode.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="screenings")
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scheduled_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="screening_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["mode", "starts_at", "ends_at"], name="screening_window")]

    def __str__(self) -> str:
        return f"screening {self.pk} of {self.recording_id}"
