"""Institute, schools, users with one role each, enrolments, guidelines and API tokens."""

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INSTITUTE_ADMIN = "institute_admin", _("institute administrator")
    SCHOOL_ADMIN = "school_admin", _("school administrator")
    STUDENT_TEACHER = "student_teacher", _("student teacher")
    TRAINER = "trainer", _("trainer")
    SCHOOL_SUPERVISOR = "school_supervisor", _("school supervisor")
    PRIVACY_OFFICER = "privacy_officer", _("privacy officer")


ROLES_WITH_SCHOOL = {Role.SCHOOL_ADMIN, Role.SCHOOL_SUPERVISOR}


class Institute(models.Model):
    """The teacher-education institute running this installation (one row)."""

    name = models.CharField(max_length=200)
    privacy_officer_email = models.EmailField(blank=True)
    dpo_email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            # "noord" and "NOORD" would be two schools to the database, one to people.
            models.UniqueConstraint(Lower("code"), name="school_code_unique_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices)
    full_name = models.CharField(max_length=200, blank=True)
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    # When the institute admin deactivated the account (None while active).
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # Raised to end every browser session of the user at once (deactivation): it is part of
    # the hash each session carries, so every older session fails Django's check.
    session_generation = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            # "SANNE" beside "sanne" would be two accounts that look like one person.
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's session hash (an HMAC of the password hash), with the session generation.

        A password change ends every session already (the password hash changes); raising
        ``session_generation`` ends them without touching the password. Generation 0 hashes
        exactly as Django does, so sessions made before this field existed stay valid.
        """
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "classvault.people.User.session_auth_hash",
            f"{self.password}\x00{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Enrolment(models.Model):
    """A student teacher placed at a school until ``study_end``, with their trainers."""

    student_teacher = models.OneToOneField(User, on_delete=models.CASCADE, related_name="enrolment")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="enrolments")
    study_end = models.DateField()
    trainers = models.ManyToManyField(User, related_name="trainees", blank=True)
    supervisors = models.ManyToManyField(User, related_name="supervisees", blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.student_teacher} @ {self.school.code}"


class GuidelinesVersion(models.Model):
    """A published version of the recording guidelines and step plan (R1, R11)."""

    version = models.CharField(max_length=32, unique=True)
    text = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.version


class GuidelinesAcknowledgement(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="acknowledgements")
    version = models.ForeignKey(GuidelinesVersion, on_delete=models.PROTECT)
    acknowledged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="ack_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.version}"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, so a database copy cannot log anyone in."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        # Never the hash: even that should not end up in logs.
        return f"API token #{self.pk} of {self.user}"

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class ApiTokenUsage(models.Model):
    """A token's requests in its current fixed rate window, and its last use (people.ratelimit).

    A table, not a per-process counter: every gunicorn process and the embedded default
    (no Redis) count in the same place. One row per token that was ever used: each request
    is one upsert that counts it, starts a new window when the old one is over and stamps
    ``last_used_at``.
    """

    token = models.OneToOneField(
        ApiToken, on_delete=models.CASCADE, primary_key=True, related_name="usage"
    )
    window = models.BigIntegerField()  # the Unix time divided by the window length
    count = models.PositiveIntegerField()
    last_used_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.count} requests of token #{self.token_id} in window {self.window}"


class NotificationKind(models.TextChoices):
    SHARED = "shared", _("a recording shared with you")
    FEEDBACK = "feedback", _("new feedback")
    SCREENING = "screening", _("a screening invitation")
    EXPIRING = "expiring", _("a recording about to expire unassessed")
    REQUEST_DUE = "request_due", _("a data-subject request nearing its deadline")


class Notification(models.Model):
    """Something for a user to look at in ClassVault.

    The recording is an opaque id (people sits below recordings): the page looks it up
    through the visibility rule when it shows the list, so a title is never stored here and
    one no longer visible shows nothing of it. ``data`` holds only what is not content: the
    actor's name, a screening's start, the days left.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    recording_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in NotificationKind]),
                name="notification_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} notification #{self.pk} for {self.recipient}"


class FederatedIdentity(models.Model):
    """An identity at the institution's OpenID provider, linked to one ClassVault user.

    ``subject`` is the provider's ``sub``: stable and never reassigned, unlike an e-mail
    address, so after the first login the link no longer depends on the linking claim."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="identity_unique"),
            models.UniqueConstraint(fields=["user", "issuer"], name="identity_one_per_issuer"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
