"""``classvault demo``: a small, fictional institute to click through. Idempotent."""

from datetime import datetime, timedelta

from django.db import transaction

from classvault.people import services
from classvault.people.models import Role, School, User

DEMO_PASSWORD = "demo-wachtwoord-2026"
SCHOOL_CODE = "LINDE"

# username, role, full name, works at the demo school
DEMO_USERS = [
    ("beheer", Role.INSTITUTE_ADMIN, "Bea Beheer", False),
    ("privacy", Role.PRIVACY_OFFICER, "Pim Privacy", False),
    ("schooladmin", Role.SCHOOL_ADMIN, "Sara Schoolbureau", True),
    ("sanne", Role.STUDENT_TEACHER, "Sanne de Student", False),
    ("tim", Role.STUDENT_TEACHER, "Tim Medestudent", False),
    ("olga", Role.TRAINER, "Olga Opleider", False),
    ("ingrid", Role.TRAINER, "Ingrid Instituut", False),
    ("mentor", Role.SCHOOL_SUPERVISOR, "Mark Mentor", True),
]


@transaction.atomic
def demo_load(*, now: datetime) -> list[tuple[str, str, str]]:
    services.institute_ensure(name="Demo Lerarenopleiding")
    services.guidelines_ensure_default(now=now)
    if not School.objects.filter(code=SCHOOL_CODE).exists():
        services.school_create(actor=None, code=SCHOOL_CODE, name="Basisschool De Linde", now=now)
    for username, role, full_name, at_school in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            services.user_create(
                actor=None, username=username, password=DEMO_PASSWORD, role=role,
                full_name=full_name, email=f"{username}@example.org",
                school_code=SCHOOL_CODE if at_school else None, now=now,
            )
    admin = User.objects.get(username="beheer")
    study_end = (now + timedelta(days=365)).date()
    services.enrolment_set(actor=admin, username="sanne", school_code=SCHOOL_CODE,
                           study_end=study_end, trainers=["olga"], supervisors=["mentor"],
                           now=now)
    services.enrolment_set(actor=admin, username="tim", school_code=SCHOOL_CODE,
                           study_end=study_end, trainers=["ingrid"], supervisors=["mentor"],
                           now=now)
    return [(u, r.value, DEMO_PASSWORD) for u, r, _n, _s in DEMO_USERS]
