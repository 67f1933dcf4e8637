"""What each role's landing page shows: the selectors of the apps below, per role."""

from datetime import datetime
from typing import Any

from classvault.audit.services import audit_log_read
from classvault.core.health import health_detail
from classvault.people import selectors as people_selectors
from classvault.people.models import Role, User
from classvault.retention.selectors import expiries_upcoming, legal_holds_list
from classvault.sharing.access import student_work_queue, supervisees_overview

RECENT_EVENTS = 20


def landing_for(*, user: User, now: datetime) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if user.role == Role.STUDENT_TEACHER:
        context["enrolment"] = people_selectors.enrolment_of(student=user)
        context["guidelines_accepted"] = people_selectors.guidelines_accepted(user=user)
        context["queue"] = student_work_queue(actor=user, now=now)
    elif user.role in (Role.TRAINER, Role.SCHOOL_SUPERVISOR):
        context["trainees"] = people_selectors.enrolments_for(actor=user)
    elif user.role == Role.SCHOOL_ADMIN:
        context["school"] = user.school
        context["enrolments"] = people_selectors.enrolments_for(actor=user)
    elif user.role == Role.INSTITUTE_ADMIN:
        context["schools"] = people_selectors.schools_all()
        context["enrolments"] = people_selectors.enrolments_for(actor=user)
        context["user_count"] = people_selectors.users_count()
        context["expiries"] = expiries_upcoming(actor=user, now=now, within_days=30)
    elif user.role == Role.PRIVACY_OFFICER:
        # Reading the log is itself logged, as every read of it is (audit.read).
        context["recent_events"] = audit_log_read(actor=user, object_id=None,
                                                  limit=RECENT_EVENTS, now=now,
                                                  newest_first=True)
        context["legal_holds"] = legal_holds_list(actor=user)
        # Without a worker, expired recordings are not deleted: the privacy officer must know.
        context["health"] = health_detail(now=now)
    if user.role == Role.SCHOOL_SUPERVISOR:
        context["students"] = supervisees_overview(actor=user, now=now)
    return context
