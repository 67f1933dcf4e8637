"""Shares of a recording with the owner's own trainers and supervisors."""

from django.conf import settings
from django.db import models


class Share(models.Model):
    recording = models.ForeignKey("recordings.Recording", on_delete=models.CASCADE,
                                  related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="shares")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recording", "user"], name="share_once"),
        ]

    def __str__(self) -> str:
        return f"{self.recording} shared with {self.user}"
