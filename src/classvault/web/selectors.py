"""What each role's landing page shows."""

from datetime import datetime
from typing import Any

from classvault.audit.models import AuditEvent
from classvault.core.health import health_detail
from classvault.people import selectors as people_selectors
from classvault.people.models import Enrolment, Role, School, User
from classvault.retention.selectors import expiries_upcoming, legal_holds_list


def landing_for(*, user: User, now: datetime) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if user.role == Role.STUDENT_TEACHER:
        context["enrolment"] = (
            Enrolment.objects.select_related("school")
            .prefetch_related("trainers", "supervisors")
            .filter(student_teacher=user)
            .first()
        )
        context["guidelines_accepted"] = people_selectors.guidelines_accepted(user=user)
    elif user.role == Role.TRAINER:
        context["trainees"] = (
            Enrolment.objects.select_related("student_teacher", "school")
            .filter(trainers=user).order_by("study_end")
        )
    elif user.role == Role.SCHOOL_SUPERVISOR:
        context["trainees"] = (
            Enrolment.objects.select_related("student_teacher", "school")
            .filter(supervisors=user).order_by("study_end")
        )
    elif user.role == Role.SCHOOL_ADMIN:
        context["school"] = user.school
        context["enrolments"] = (
            Enrolment.objects.select_related("student_teacher")
            .filter(school=user.school).order_by("study_end")
        )
    elif user.role == Role.INSTITUTE_ADMIN:
        context["schools"] = School.objects.order_by("name")
        context["enrolments"] = (
            Enrolment.objects.select_related("student_teacher", "school").order_by("study_end")
        )
        context["user_count"] = User.objects.count()
        context["expiries"] = expiries_upcoming(actor=user, now=now, within_days=30)
    elif user.role == Role.PRIVACY_OFFICER:
        context["recent_events"] = AuditEvent.objects.order_by("-seq")[:20]
        context["legal_holds"] = legal_holds_list(actor=user)
        # Without a worker, expired recordings are not deleted: the privacy officer must know.
        context["health"] = health_detail(now=now)
    return context
