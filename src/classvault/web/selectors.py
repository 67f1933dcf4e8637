"""What each role's landing page shows: the selectors of the apps below, per role."""

from datetime import datetime
from typing import Any

from classvault.people import selectors as people_selectors
from classvault.people.models import Role, User
from classvault.retention.selectors import expiries_upcoming
from classvault.sharing.access import student_work_queue, supervisees_overview
from classvault.sharing.selectors import recordings_inbox

from . import officer_selectors


def landing_for(*, user: User, now: datetime) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if user.role == Role.STUDENT_TEACHER:
        context["enrolment"] = people_selectors.enrolment_of(student=user)
        context["guidelines_accepted"] = people_selectors.guidelines_accepted(user=user)
        context["queue"] = student_work_queue(actor=user, now=now)
    elif user.role in (Role.TRAINER, Role.SCHOOL_SUPERVISOR):
        context["trainees"] = people_selectors.enrolments_for(actor=user)
        if user.role == Role.TRAINER:  # trainer: the inbox of what is shared with her
            context["inbox"] = recordings_inbox(actor=user, now=now)
    elif user.role == Role.SCHOOL_ADMIN:
        context.update(officer_selectors.school_admin_home(user=user, now=now))
    elif user.role == Role.INSTITUTE_ADMIN:
        context["schools"] = people_selectors.schools_all()
        context["enrolments"] = people_selectors.enrolments_for(actor=user)
        context["user_count"] = people_selectors.users_count()
        context["overview"] = people_selectors.institute_overview(actor=user)
        context["expiries"] = expiries_upcoming(actor=user, now=now, within_days=30)
    elif user.role == Role.PRIVACY_OFFICER:
        context.update(officer_selectors.privacy_officer_home(user=user, now=now))
    if user.role == Role.SCHOOL_SUPERVISOR:
        context["students"] = supervisees_overview(actor=user, now=now)
    return context
