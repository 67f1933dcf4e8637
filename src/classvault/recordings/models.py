"""Recordings, the pupils present in them, and time-coded comments."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from classvault.people.models import School


class RecordingStatus(models.TextChoices):
    PROCESSING = "processing", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")
    BLOCKED = "blocked", _("blocked")


class Recording(models.Model):
    """A lesson recording. Its bytes live only encrypted in the vault, under object
    ids ``<id>/original``, ``<id>/rendition`` and ``<id>/poster``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recordings"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="recordings")
    title = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=16,
        choices=RecordingStatus.choices,
        default=RecordingStatus.PROCESSING,
        db_index=True,
    )
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    original_size = models.BigIntegerField(default=0)
    rendition_size = models.BigIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    # A worker holds the transcoding lease until this instant and renews it while it works;
    # a worker that dies lets it lapse, and the next one takes the job over. The token names
    # the holder: a worker that lost its lease can neither renew it nor finish the job.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    # Real failures (an error while converting), and takeovers of a lapsed lease (a worker
    # that died): each has its own cap (recordings/services.py).
    attempts = models.PositiveSmallIntegerField(default=0)
    takeovers = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [
            # Lists are pages newest first (core/paging.py): the privacy officer's list walks
            # this index from the cursor on instead of sorting every recording in the country.
            models.Index(fields=["-recorded_at", "-id"], name="recording_newest_first"),
        ]

    def __str__(self) -> str:
        return f"recording {self.pk}"


class RecordingPupil(models.Model):
    """A pupil present during the recording. Attested pupils were kept out of view and
    sound: they do not take part (their withdrawal blocks nothing)."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="presences")
    pupil = models.ForeignKey("consent.Pupil", on_delete=models.PROTECT, related_name="presences")
    attested_out_of_view = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recording", "pupil"], name="presence_once"),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} in {self.recording}"


class UploadKind(models.TextChoices):
    FILE = "file", _("file")
    LIVE = "live", _("recorded in the browser")


class Upload(models.Model):
    """A resumable upload in progress: a file sent in chunks, or a recording the browser
    makes (``live``), its size known only when it stops.

    Each chunk is encrypted on arrival as its part of the recording's original (a parted
    vault object under ``data_key_id``, object id ``recording_id``), so a dropped school
    Wi-Fi connection loses at most the chunk in flight and completing only seals and
    records. The details (title, date, pupils) come with the start, so every check that
    needs no video is made before a byte is sent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    kind = models.CharField(max_length=8, choices=UploadKind.choices, default=UploadKind.FILE)
    filename = models.CharField(max_length=255, blank=True)
    # Name, size and last change of the file as the browser saw them: a retry of the same
    # file finds this upload again and goes on where it stopped.
    fingerprint = models.CharField(max_length=200, blank=True, db_index=True)
    # None for a live recording until it stops.
    size = models.BigIntegerField(null=True, blank=True)
    chunk_size = models.PositiveIntegerField()
    received = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    recording_id = models.UUIDField(null=True, blank=True, unique=True)
    data_key_id = models.UUIDField(null=True, blank=True)
    # The last part was stored as the end of the object; finished: no more chunks come.
    terminated = models.BooleanField(default=False)
    finished = models.BooleanField(default=False)
    title = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    pupils = models.JSONField(default=list, blank=True)
    attested = models.JSONField(default=list, blank=True)
    # One request at a time writes a chunk (the same part never encrypted twice at once).
    writing_token = models.UUIDField(null=True, blank=True)
    writing_until = models.DateTimeField(null=True, blank=True)
    # Completing is claimed, so one request makes the recording however many arrive; the
    # claim lapses, so a request killed while sealing does not block the upload for good.
    completing_token = models.UUIDField(null=True, blank=True)
    completing_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"upload {self.pk}"

    @property
    def parts(self) -> int:
        """How many parts of the original were received."""
        return -(-self.received // self.chunk_size)


class Comment(models.Model):
    """Time-coded feedback on a recording, by the owner, a shared trainer or a custodian."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at_seconds = models.FloatField()
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["at_seconds", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(at_seconds__gte=0), name="comment_at_seconds_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"comment at {self.at_seconds:.1f}s on {self.recording_id}"

    @property
    def is_reflection(self) -> bool:
        """The owner's own comments are her reflection notes on the lesson (shown as such);
        everyone else's are feedback. Fetched through ``recording.comments`` it costs no
        query."""
        return self.author_id == self.recording.owner_id


class Assessment(models.Model):
    """A trainer's assessment of the lesson in the recording (R1): marks it assessed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="assessments")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # One of settings.CLASSVAULT_ASSESSMENT_SCALE: each institute has its own scale.
    verdict = models.CharField(max_length=32)
    notes = models.TextField(max_length=8000, blank=True)
    assessed_on = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"assessment of {self.recording_id}: {self.verdict}"
