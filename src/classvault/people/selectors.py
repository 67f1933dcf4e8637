"""Reads about people."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from classvault.core.exceptions import NotVisible

from .models import (
    ApiToken,
    Enrolment,
    GuidelinesAcknowledgement,
    GuidelinesVersion,
    Role,
    School,
    User,
)
from .services import require_role


def guidelines_current() -> GuidelinesVersion | None:
    return GuidelinesVersion.objects.first()


def guidelines_accepted(*, user: User) -> bool:
    """True when the user accepted the current version of the guidelines."""
    current = guidelines_current()
    return (
        current is not None
        and GuidelinesAcknowledgement.objects.filter(user=user, version=current).exists()
    )


def enrolment_of(*, student: User) -> Enrolment | None:
    """The student teacher's placement, with her school, trainers and supervisors."""
    return (
        Enrolment.objects.select_related("school")
        .prefetch_related("trainers", "supervisors")
        .filter(student_teacher=student)
        .first()
    )


def enrolments_for(*, actor: User) -> QuerySet[Enrolment]:
    """The placements the actor looks after, by study end: a trainer's or supervisor's own
    students, a school admin's school, every placement for the institute admin."""
    enrolments = Enrolment.objects.select_related("student_teacher", "school").order_by("study_end")
    if actor.role == Role.TRAINER:
        return enrolments.filter(trainers=actor)
    if actor.role == Role.SCHOOL_SUPERVISOR:
        return enrolments.filter(supervisors=actor)
    if actor.role == Role.SCHOOL_ADMIN:
        return enrolments.filter(school_id=actor.school_id)
    if actor.role == Role.INSTITUTE_ADMIN:
        return enrolments
    return enrolments.none()


def schools_all() -> QuerySet[School]:
    return School.objects.order_by("name")


def users_count() -> int:
    return User.objects.count()


def users_named(*, usernames: Iterable[str]) -> dict[str, User]:
    """The users with these usernames, by username (to put full names beside them)."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    return {u.username: u for u in User.objects.filter(username__in=wanted)}


# --- the institute admin's pages ---------------------------------------------------------


def _tokens_in_force(now: datetime) -> Q:
    return Q(api_tokens__revoked_at__isnull=True, api_tokens__expires_at__gt=now)


def users_list(
    *,
    actor: User,
    role: str | None = None,
    school_code: str | None = None,
    query: str = "",
    now: datetime | None = None,
) -> QuerySet[User]:
    """Every user, for the institute admin: filtered by role and school, searched by name or
    username (case-insensitive, any part), ordered by name. One query per page. With ``now``,
    each carries ``active_tokens``: how many of their API tokens are in force."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    users = User.objects.select_related("school").order_by("full_name", "username")
    if now is not None:
        users = users.annotate(
            active_tokens=Count("api_tokens", filter=_tokens_in_force(now), distinct=True)
        )
    if role:
        users = users.filter(role=role)
    if school_code:
        users = users.filter(school__code=school_code)
    query = query.strip()
    if query:
        users = users.filter(Q(full_name__icontains=query) | Q(username__icontains=query))
    return users


def user_account(*, actor: User, username: str, now: datetime) -> dict[str, Any]:
    """One user's account for the institute admin: state, last login, tokens in force."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    user = User.objects.select_related("school").filter(username=username).first()
    if user is None:
        raise NotVisible(_("No such user."))
    tokens = list(
        ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
        .annotate(last_used_at=F("usage__last_used_at"))
        .order_by("-created_at", "-pk")
    )
    second_factor = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return {"user": user, "tokens": tokens, "second_factor": second_factor}


def users_with_role(*, actor: User, role: Role) -> QuerySet[User]:
    """The active users of one role with their school, by name (the enrolment form's lists)."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    return (
        User.objects.filter(role=role, is_active=True)
        .select_related("school")
        .order_by("full_name", "username")
    )


def student_teacher_get(*, actor: User, username: str) -> User:
    """A student teacher with her placement (or none yet), for the institute admin."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    student = (
        User.objects.filter(username=username, role=Role.STUDENT_TEACHER)
        .select_related("enrolment__school")
        .first()
    )
    if student is None:
        raise NotVisible(_("No such student teacher."))
    return student


def student_teachers_list(*, actor: User) -> QuerySet[User]:
    """Every student teacher with her placement, placed ones by study end, then the rest."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    return (
        User.objects.filter(role=Role.STUDENT_TEACHER)
        .select_related("enrolment__school")
        .annotate(
            trainer_count=Count("enrolment__trainers", distinct=True),
            supervisor_count=Count("enrolment__supervisors", distinct=True),
        )
        .order_by(F("enrolment__study_end").asc(nulls_last=True), "full_name", "username")
    )


def guidelines_overview(*, actor: User) -> dict[str, Any]:
    """Every version of the guidelines with how many student teachers accepted it, and how
    many student teachers there are (those who have not accepted the current one may not
    record)."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    students = User.objects.filter(role=Role.STUDENT_TEACHER, is_active=True)
    versions = list(
        GuidelinesVersion.objects.select_related("published_by")
        .annotate(
            accepted=Count(
                "guidelinesacknowledgement", filter=Q(guidelinesacknowledgement__user__in=students)
            )
        )
        # An aggregate drops Meta.ordering: newest first, explicitly.
        .order_by("-published_at", "-id")
    )
    return {
        "current": versions[0] if versions else None,
        "versions": versions,
        "student_teachers": students.count(),
    }


def institute_overview(*, actor: User) -> dict[str, Any]:
    """The counts on the institute admin's home page: users per role, schools, placements,
    and how many student teachers accepted the current guidelines."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    per_role = dict(
        User.objects.filter(is_active=True).order_by().values_list("role").annotate(n=Count("pk"))
    )
    current = guidelines_current()
    accepted = (
        0
        if current is None
        else GuidelinesAcknowledgement.objects.filter(
            version=current, user__role=Role.STUDENT_TEACHER, user__is_active=True
        ).count()
    )
    return {
        "roles": [(Role(role).label, per_role.get(role, 0)) for role in Role.values],
        "schools": School.objects.count(),
        "student_teachers": per_role.get(Role.STUDENT_TEACHER, 0),
        "placed": Enrolment.objects.count(),
        "guidelines": current,
        "guidelines_accepted": accepted,
    }
