"""Pupils, their consent history (append-only) and current state, privacy statement versions."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from classvault.people.models import School


class Signer(models.TextChoices):
    PUPIL = "pupil", _("pupil")
    GUARDIAN = "guardian", _("parent or guardian")


class ConsentKind(models.TextChoices):
    GIVE = "give", _("consent given")
    WITHDRAW = "withdraw", _("consent withdrawn")


class WithdrawalScope(models.TextChoices):
    ALL = "all", _("all consent")
    PEER_VIEWING = "peer_viewing", _("showing to fellow students")


class ReceivedHow(models.TextChoices):
    PAPER_FORM = "paper_form", _("signed paper form")
    DIGITAL_FORM = "digital_form", _("signed digital form")
    IN_PERSON = "in_person", _("in person")


class ConsentScope(models.TextChoices):
    """What a recording needs: consent to be recorded, or also to be shown to fellow students."""

    RECORDING = "recording", _("recording")
    PEER_VIEWING = "peer_viewing", _("showing to fellow students")


class ContactKind(models.TextChoices):
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")
    DATA_PROTECTION_OFFICER = "data_protection_officer", _("Data protection officer")
    SUPERVISORY_AUTHORITY = "supervisory_authority", _("Supervisory authority")


class StatementVersion(models.Model):
    """A published version of the privacy statement (R15). Rows never change (a trigger
    refuses UPDATE and DELETE): consent records point at the exact text they were given under.

    ``contacts`` is a list of ``{"kind", "name", "email", "website", "phone"}`` (R16).
    The current version is the one published last.
    """

    version = models.CharField(max_length=32, unique=True)
    published_on = models.DateField()
    text = models.TextField()
    contacts = models.JSONField(default=list)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        # Publication order, not published_on: two versions can share a day.
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.version


class Pupil(models.Model):
    """A pupil on a school's roster, with the current consent state.

    ``recording_consent`` and ``peer_viewing_consent`` are derived from the newest
    :class:`ConsentRecord`; only the consent services write them, in the same transaction
    as the record, so a roster can be listed in one query.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pupils")
    external_id = models.CharField(max_length=64)
    full_name = models.CharField(max_length=200)
    date_of_birth = models.DateField()
    group = models.CharField(max_length=32)
    recording_consent = models.BooleanField(default=False)
    peer_viewing_consent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["group", "full_name", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "external_id"], name="pupil_external_id_unique_per_school"
            ),
            # Showing to fellow students is a use of the recording: it needs consent to record.
            models.CheckConstraint(
                condition=models.Q(peer_viewing_consent=False) | models.Q(recording_consent=True),
                name="pupil_peer_viewing_needs_recording",
            ),
        ]
        indexes = [models.Index(fields=["school", "group"], name="pupil_school_group")]

    def __str__(self) -> str:
        # No name: pupils' names stay out of logs and error pages.
        return f"pupil {self.pk}"


class ConsentRecord(models.Model):
    """One registered consent form or in-person withdrawal; never changed or deleted.

    ``recording`` and ``peer_viewing`` are the pupil's consent *after* this record, so the
    history reads as a sequence of states. ``scope`` is set for withdrawals only.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="consent_records")
    # 1, 2, 3… per pupil, given while the pupil row is locked: the history's order, even when
    # two records share an instant.
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=ConsentKind.choices)
    scope = models.CharField(max_length=16, choices=WithdrawalScope.choices, blank=True)
    recording = models.BooleanField()
    peer_viewing = models.BooleanField()
    given_by = models.CharField(max_length=16, choices=Signer.choices)
    signer_name = models.CharField(max_length=200)
    signed_on = models.DateField()
    received_how = models.CharField(
        max_length=16, choices=ReceivedHow.choices, default=ReceivedHow.PAPER_FORM
    )
    verified_in_person = models.BooleanField(default=False)
    statement_version = models.ForeignKey(
        StatementVersion, on_delete=models.PROTECT, related_name="consent_records"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField()

    class Meta:
        ordering = ["pupil", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["pupil", "seq"], name="consent_seq_unique_per_pupil"),
            models.CheckConstraint(
                condition=models.Q(peer_viewing=False) | models.Q(recording=True),
                name="consent_peer_viewing_needs_recording",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="give", scope="")
                    | models.Q(
                        kind="withdraw", scope__in=["all", "peer_viewing"], verified_in_person=True
                    )
                ),
                name="consent_withdrawal_has_scope_and_is_in_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for pupil {self.pupil_id} on {self.signed_on}"
