"""Data-subject requests (GDPR art. 12-22) and their deadline reminders (R12-R16)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from classvault.consent.models import Signer


class RequestKind(models.TextChoices):
    ACCESS = "access", _("access (art. 15)")
    RECTIFICATION = "rectification", _("rectification (art. 16)")
    ERASURE = "erasure", _("erasure (art. 17)")
    WITHDRAWAL = "withdrawal", _("withdrawal of consent (art. 7)")
    COMPLAINT = "complaint", _("complaint")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    REJECTED = "rejected", _("rejected")


# Statuses in which a request still runs against its deadline.
RUNNING = (RequestStatus.OPEN, RequestStatus.IN_PROGRESS)
# The most a deadline can be extended (GDPR art. 12(3)): two further months.
MAX_EXTENSION_MONTHS = 2


class DataSubjectRequest(models.Model):
    """A request of a pupil or their guardian, handled by the privacy officer.

    ``due_on`` is the deadline in force: one month after ``received_on``, plus the months
    of an extension (``extension_months``, at most two, with ``extension_reason``). It is a
    column, recomputed by the service that changes its inputs, so the overdue list and the
    reminders are queries. ``outcome`` says how it ended (completed or rejected).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pupil = models.ForeignKey(
        "consent.Pupil", on_delete=models.PROTECT, related_name="data_subject_requests"
    )
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    requested_by = models.CharField(max_length=16, choices=Signer.choices)
    received_on = models.DateField()
    details = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    due_on = models.DateField(db_index=True)
    extension_months = models.PositiveSmallIntegerField(default=0)
    extension_reason = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "registered_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(extension_months__lte=MAX_EXTENSION_MONTHS),
                name="request_extension_at_most_two_months",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status__in=["open", "in_progress"], closed_at__isnull=True)
                    | models.Q(status__in=["completed", "rejected"], closed_at__isnull=False)
                ),
                name="request_closed_when_finished",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="request_status_due")]

    def __str__(self) -> str:
        # No name: pupils' names stay out of logs and error pages.
        return f"{self.kind} request {self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING


class RequestReminder(models.Model):
    """One reminder to the privacy officer about one deadline: ``stage`` days before
    ``due_on`` (0: the day after, overdue). The unique constraint makes it go out once,
    however many workers run the schedule; an extended deadline is a new period with
    reminders of its own."""

    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="reminders"
    )
    due_on = models.DateField()
    stage = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "due_on", "stage"], name="request_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.stage} for {self.request_id}"
