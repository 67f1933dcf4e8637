"""``classvault demo``: a small, fictional institute to click through. Idempotent."""

import uuid
from datetime import date, datetime, timedelta

from django.db import transaction

from classvault.consent import services as consent_services
from classvault.consent.models import Pupil
from classvault.people import factors, services
from classvault.people.models import Role, School, User
from classvault.recordings.models import Recording
from classvault.recordings.processing import recording_process
from classvault.recordings.sample import sample_video
from classvault.recordings.services import recording_create
from classvault.recordings.uploads import EncryptedUpload
from classvault.sharing.services import share_grant
from classvault.vault.purposes import Purpose
from classvault.vault.services import vault_store

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


# number, name, years old, consent to record, consent to show to fellow students
DEMO_PUPILS = [
    ("D001", "Ada Appel", 11, True, True),
    ("D002", "Bram Bos", 11, True, False),
    ("D003", "Cas Cornelis", 12, False, False),
    ("D004", "Dewi Dekker", 11, True, True),
    ("D005", "Eli Evers", 12, False, False),
]


def demo_load(*, now: datetime) -> list[tuple[str, str, str, str]]:
    """Load the demo; the logins: (username, role, password, second-factor key or "")."""
    logins = _people(now=now)
    _pupils(now=now)
    _sample_recording(now=now)
    return logins


@transaction.atomic
def _people(*, now: datetime) -> list[tuple[str, str, str, str]]:
    services.institute_ensure(name="Demo Lerarenopleiding")
    services.guidelines_ensure_default(now=now)
    if not School.objects.filter(code=SCHOOL_CODE).exists():
        services.school_create(actor=None, code=SCHOOL_CODE, name="Basisschool De Linde", now=now)
    for username, role, full_name, at_school in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            services.user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                full_name=full_name,
                email=f"{username}@example.org",
                school_code=SCHOOL_CODE if at_school else None,
                now=now,
            )
    admin = User.objects.get(username="beheer")
    study_end = (now + timedelta(days=365)).date()
    services.enrolment_set(
        actor=admin,
        username="sanne",
        school_code=SCHOOL_CODE,
        study_end=study_end,
        trainers=["olga"],
        supervisors=["mentor"],
        now=now,
    )
    services.enrolment_set(
        actor=admin,
        username="tim",
        school_code=SCHOOL_CODE,
        study_end=study_end,
        trainers=["ingrid"],
        supervisors=["mentor"],
        now=now,
    )
    # The roles that need a second factor get an authenticator key at once (printed by
    # `classvault demo`): type it into an authenticator app, or compute a code with
    # `oathtool --totp -b KEY`. Demo data only: real people enrol with a QR code.
    logins = []
    for username, role, _n, _s in DEMO_USERS:
        user = User.objects.get(username=username)
        key = ""
        if factors.factor_required(user=user):
            key = factors.factor_secret(device=factors.factor_enrol_direct(user=user, now=now))
        logins.append((username, role.value, DEMO_PASSWORD, key.replace(" ", "")))
    return logins


@transaction.atomic
def _pupils(*, now: datetime) -> None:
    admin = User.objects.get(username="schooladmin")
    today = now.date()
    for number, name, age, recording, peer in DEMO_PUPILS:
        if Pupil.objects.filter(school__code=SCHOOL_CODE, external_id=number).exists():
            continue
        pupil = consent_services.pupil_create(
            actor=admin,
            school_code=SCHOOL_CODE,
            external_id=number,
            full_name=name,
            date_of_birth=date(today.year - age, 3, 1),
            group="Groep 7",
            now=now,
        )
        if recording:
            consent_services.consent_give(
                actor=admin,
                pupil_id=str(pupil.pk),
                recording=True,
                peer_viewing=peer,
                given_by="guardian",
                signer_name=f"Ouder van {name.split()[0]}",
                signed_on=today - timedelta(days=20),
                now=now,
            )


def _sample_recording(*, now: datetime) -> None:
    """Sanne's first lesson: uploaded, transcoded and shared with her trainer Olga."""
    sanne = User.objects.get(username="sanne")
    if Recording.objects.filter(owner=sanne).exists():
        return
    services.guidelines_acknowledge(actor=sanne, now=now)
    recording_id = str(uuid.uuid4())
    stored = vault_store(
        object_id=recording_id, purpose=Purpose.ORIGINAL, chunks=[sample_video()], now=now
    )
    present = Pupil.objects.filter(school__code=SCHOOL_CODE, recording_consent=True)
    absent = Pupil.objects.filter(school__code=SCHOOL_CODE, recording_consent=False)[:1]
    recording_create(
        actor=sanne,
        recording_id=recording_id,
        upload=EncryptedUpload("demo-les.mp4", "video/mp4", stored),
        title="Rekenles groep 7 — breuken",
        recorded_at=now - timedelta(days=2),
        pupil_ids=[str(p.pk) for p in present],
        attested_ids=[str(p.pk) for p in absent],
        now=now,
    )
    recording_process(recording_id=recording_id, now=now)
    share_grant(
        actor=sanne, recording=Recording.objects.get(pk=recording_id), username="olga", now=now
    )
