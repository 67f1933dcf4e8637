"""Reads about people."""

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Enrolment, GuidelinesAcknowledgement, GuidelinesVersion, Role, School, User


def guidelines_current() -> GuidelinesVersion | None:
    return GuidelinesVersion.objects.first()


def guidelines_accepted(*, user: User) -> bool:
    """True when the user accepted the current version of the guidelines."""
    current = guidelines_current()
    return current is not None and GuidelinesAcknowledgement.objects.filter(
        user=user, version=current
    ).exists()


def enrolment_of(*, student: User) -> Enrolment | None:
    """The student teacher's placement, with her school, trainers and supervisors."""
    return (Enrolment.objects.select_related("school")
            .prefetch_related("trainers", "supervisors").filter(student_teacher=student).first())


def enrolments_for(*, actor: User) -> QuerySet[Enrolment]:
    """The placements the actor looks after, by study end: a trainer's or supervisor's own
    students, a school admin's school, every placement for the institute admin."""
    enrolments = Enrolment.objects.select_related("student_teacher", "school").order_by(
        "study_end")
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
