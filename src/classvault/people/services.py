"""Writes about people: schools, users, enrolments, guidelines and API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Conflict, Forbidden, Invalid, NotVisible

from .hooks import enrolment_changed
from .lockouts import first_failure_of
from .models import (
    ROLES_WITH_SCHOOL,
    ApiToken,
    Enrolment,
    GuidelinesAcknowledgement,
    GuidelinesVersion,
    Institute,
    Role,
    School,
    User,
)
from .token_lookup import token_by_hash


def require_role(actor: User, *roles: Role) -> None:
    """Raise Forbidden unless the actor has one of the roles."""
    if actor.role not in roles:
        raise Forbidden(_("Your role may not do this."))


def institute_ensure(*, name: str) -> Institute:
    institute = Institute.objects.first()
    if institute is None:
        institute = Institute.objects.create(name=name)
    return institute


@transaction.atomic
def school_create(*, actor: User | None, code: str, name: str, now: datetime) -> School:
    if actor is not None:
        require_role(actor, Role.INSTITUTE_ADMIN)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise Invalid(_("A school needs a code and a name."))
    if School.objects.filter(code__iexact=code).exists():
        raise Conflict(
            _("A school with code %(code)s already exists. Choose another code.") % {"code": code}
        )
    try:
        with transaction.atomic():
            school = School.objects.create(code=code, name=name)
    except IntegrityError as exc:  # created meanwhile (the constraint ignores case too)
        raise Conflict(
            _("A school with code %(code)s already exists. Choose another code.") % {"code": code}
        ) from exc
    audit_record(
        actor=actor,
        action=AuditAction.SCHOOL_CREATE,
        obj=school,
        now=now,
        data={"code": code, "name": name},
    )
    return school


# Generated passwords: words a person can read aloud or type from paper, no look-alikes.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def password_generate() -> str:
    """A random initial password (about 99 bits) in four groups: ``abcd-efgh-jkmn-pqrs-tuvw``."""
    groups = ["".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(4)) for _g in range(5)]
    return "-".join(groups)


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    now: datetime,
    full_name: str = "",
    email: str = "",
    school_code: str | None = None,
) -> User:
    """Create a user with one role; ``actor`` None means the command line."""
    if actor is not None:
        require_role(actor, Role.INSTITUTE_ADMIN)
    username = username.strip()
    if not username:
        raise Invalid(_("A username is required."))
    if role not in Role.values:
        raise Invalid(
            _("Unknown role %(role)s; choose one of %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)}
        )
    school = None
    if school_code:
        school = School.objects.filter(code=school_code).first()
        if school is None:
            raise Invalid(
                _("Unknown school %(code)s. Check the school code.") % {"code": school_code}
            )
    elif role in ROLES_WITH_SCHOOL:
        raise Invalid(
            _("A %(role)s needs a school: choose the school they work at.")
            % {"role": Role(role).label}
        )
    if email.strip():
        try:
            validate_email(email.strip())
        except ValidationError as exc:
            raise Invalid(
                _("%(email)s is not an e-mail address.") % {"email": email.strip()}
            ) from exc
    user = User(
        username=username,
        role=role,
        full_name=full_name.strip(),
        email=email.strip(),
        school=school,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from exc
    user.set_password(password)
    # Case does not make another person: "SANNE" is taken when "sanne" exists.
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            _("The username %(username)s is taken. Choose another username.")
            % {"username": username}
        )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(
            _("The username %(username)s is taken. Choose another username.")
            % {"username": username}
        ) from exc
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATE,
        obj=user,
        object_id=username,
        now=now,
        data={"role": role, "school": school_code or ""},
    )
    return user


def _users_with_role(usernames: list[str], role: Role) -> list[User]:
    users = list(User.objects.filter(username__in=usernames, is_active=True))
    found = {u.username: u for u in users}
    missing = [n for n in usernames if n not in found]
    if missing:
        raise Invalid(_("Unknown users: %(users)s.") % {"users": ", ".join(missing)}, users=missing)
    wrong = [u.username for u in users if u.role != role]
    if wrong:
        raise Invalid(
            _("These users are not a %(role)s: %(users)s.")
            % {"role": role.label, "users": ", ".join(wrong)},
            users=wrong,
        )
    return users


@transaction.atomic
def enrolment_set(
    *,
    actor: User,
    username: str,
    school_code: str,
    study_end: date,
    trainers: list[str],
    supervisors: list[str],
    now: datetime,
) -> Enrolment:
    """Place a student teacher at a school with their trainers and supervisors.

    The expiry of the student teacher's recordings follows their study end (R9), and shares
    follow her coaches (R7): the apps above recompute both through the
    :data:`enrolment_changed` hook, in the same transaction.
    """
    require_role(actor, Role.INSTITUTE_ADMIN)
    student = User.objects.filter(username=username).first()
    if student is None:
        raise NotVisible(_("No such student teacher."))
    if student.role != Role.STUDENT_TEACHER:
        raise Invalid(_("%(username)s is not a student teacher.") % {"username": username})
    school = School.objects.filter(code=school_code).first()
    if school is None:
        raise Invalid(_("Unknown school %(code)s. Check the school code.") % {"code": school_code})
    trainer_users = _users_with_role(trainers, Role.TRAINER)
    supervisor_users = _users_with_role(supervisors, Role.SCHOOL_SUPERVISOR)
    elsewhere = [u.username for u in supervisor_users if u.school_id != school.pk]
    if elsewhere:
        raise Invalid(
            _(
                "These supervisors work at another school than %(school)s: "
                "%(users)s. Choose supervisors of that school."
            )
            % {"school": school.name, "users": ", ".join(elsewhere)},
            users=elsewhere,
        )
    enrolment, _created = Enrolment.objects.update_or_create(
        student_teacher=student,
        defaults={"school": school, "study_end": study_end, "updated_at": now},
    )
    enrolment.trainers.set(trainer_users)
    enrolment.supervisors.set(supervisor_users)
    # The effects first: the audit head is the last lock a transaction takes (audit_record).
    enrolment_changed.run(enrolment=enrolment, actor=actor, now=now)
    audit_record(
        actor=actor,
        action=AuditAction.ENROLMENT_SET,
        obj=student,
        object_type="user",
        object_id=username,
        now=now,
        data={
            "school": school.code,
            "study_end": study_end.isoformat(),
            "trainers": sorted(trainers),
            "supervisors": sorted(supervisors),
        },
    )
    return enrolment


@transaction.atomic
def guidelines_publish(
    *, actor: User | None, version: str, text: str, now: datetime
) -> GuidelinesVersion:
    """Publish a new version; every student teacher must accept it before recording again."""
    if actor is not None:
        require_role(actor, Role.INSTITUTE_ADMIN)
    version, text = version.strip(), text.strip()
    if not version or not text:
        raise Invalid(_("Guidelines need a version and a text."))
    if GuidelinesVersion.objects.filter(version=version).exists():
        raise Conflict(
            _("Version %(version)s of the guidelines already exists. Choose a new version.")
            % {"version": version}
        )
    guidelines = GuidelinesVersion.objects.create(
        version=version, text=text, published_at=now, published_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.GUIDELINES_PUBLISH,
        obj=guidelines,
        now=now,
        data={"version": version},
    )
    return guidelines


@transaction.atomic
def guidelines_acknowledge(*, actor: User, now: datetime) -> GuidelinesAcknowledgement:
    """The student teacher accepts the current guidelines; idempotent per version."""
    require_role(actor, Role.STUDENT_TEACHER)
    current = GuidelinesVersion.objects.first()
    if current is None:
        raise Conflict(_("No recording guidelines have been published yet."))
    ack, created = GuidelinesAcknowledgement.objects.get_or_create(
        user=actor, version=current, defaults={"acknowledged_at": now}
    )
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.GUIDELINES_ACKNOWLEDGE,
            obj=current,
            now=now,
            data={"version": current.version},
        )
    return ack


def _token_hash(raw: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough: no dictionary to attack.
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    raw: str
    token: ApiToken


@transaction.atomic
def token_issue(*, user: User, now: datetime) -> IssuedToken:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=_token_hash(raw),
        created_at=now,
        expires_at=now + timedelta(hours=settings.CLASSVAULT_TOKEN_HOURS),
    )
    # A token is a sign-in: the institute admin's "last login" counts it (the web login sets
    # it through Django's user_logged_in signal).
    User.objects.filter(pk=user.pk).update(last_login=now)
    audit_record(
        actor=user,
        action=AuditAction.AUTH_TOKEN_ISSUE,
        object_type="token",
        object_id=str(token.pk),
        now=now,
    )
    return IssuedToken(raw=raw, token=token)


def token_authenticate(*, raw: str, now: datetime) -> ApiToken | None:
    # One fixed, indexed query on the token's SHA-256 (people/token_lookup.py): every API
    # request runs it.
    token = token_by_hash(_token_hash(raw))
    if token is None or not token.is_active(now) or not token.user.is_active:
        return None
    return token


@transaction.atomic
def token_revoke(*, token: ApiToken, now: datetime) -> None:
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
        audit_record(
            actor=token.user,
            action=AuditAction.AUTH_TOKEN_REVOKE,
            object_type="token",
            object_id=str(token.pk),
            now=now,
        )


@transaction.atomic
def login_record(
    *, user: User | None, username: str, success: bool, channel: str, now: datetime
) -> None:
    """Audit a sign-in, or the first failed one of an existing account per counting window.

    Failures are counted by django-axes, not audited one by one: a failure that names no
    account is never audited (its typed name may be anything, even a password), later
    failures of the same account are summed in the one ``auth.lockout`` event
    (people/lockouts.py)."""
    if success:
        audit_record(
            actor=user,
            action=AuditAction.AUTH_LOGIN,
            object_type="user",
            object_id=user.username,
            now=now,
            data={"channel": channel},
        )
        return
    account = first_failure_of(username)
    if account is None:
        return
    audit_record(
        actor=account,
        action=AuditAction.AUTH_LOGIN_FAILED,
        object_type="user",
        object_id=account,
        now=now,
        data={"channel": channel},
    )


def guidelines_ensure_default(*, now: datetime) -> GuidelinesVersion:
    """Publish the shipped guidelines when none exist yet (first ``classvault init``)."""
    current = GuidelinesVersion.objects.first()
    if current is not None:
        return current
    text = (Path(__file__).parent / "content" / "guidelines_nl.md").read_text(encoding="utf-8")
    return guidelines_publish(actor=None, version="2026-1", text=text, now=now)
