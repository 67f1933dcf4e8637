"""Named personas and a JSON client for the API, all made at the shared ``NOW``."""

import json
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

from classvault.core.home import write_secret_file
from classvault.people import services
from classvault.people.models import Role, User

PASSWORD = "correct-horse-battery-1"
NOW = datetime.fromisoformat("2026-11-02T10:00:00+01:00")
TODAY = NOW + timedelta(days=1)  # the wall clock while the `frozen` fixture holds


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Real Argon2 with cheap parameters, so building personas takes milliseconds."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


def isolated_home(home: Path) -> dict:
    """Settings for a data home of its own (nothing touches a developer's classvault-data),
    with its audit key written: every state change writes an audit event, which needs it."""
    values = {
        "PASSWORD_HASHERS": ["support.personas.FastArgon2PasswordHasher"],
        "CLASSVAULT_HOME": home,
        "CLASSVAULT_MASTER_KEY_FILE": home / "master.key",
        "CLASSVAULT_SECRET_KEY_FILE": home / "secret.key",
        "CLASSVAULT_STORAGE_URL": f"file://{home / 'blobs'}",
        "CLASSVAULT_AUDIT_KEY_FILE": home / "audit.key",
        "CLASSVAULT_AUDIT_CHECKPOINT_FILE": home / "audit-checkpoints",
    }
    write_secret_file(values["CLASSVAULT_AUDIT_KEY_FILE"], secrets.token_hex(32))
    return values


class Api:
    """A thin JSON client for /api/v1 that carries a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(self, method: str, path: str, body=None, **params):
        kwargs = {"headers": self._headers()}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path, **params):
        return self.call("get", path, **params)

    def post(self, path, body=None):
        return self.call("post", path, body if body is not None else {})

    def put(self, path, body=None):
        return self.call("put", path, body if body is not None else {})

    def delete(self, path):
        return self.call("delete", path)


def login(username: str, password: str = PASSWORD) -> Api:
    response = Api().post("/auth/token", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return Api(response.json()["token"])


class World:
    """The personas: two schools, and the people around student teacher Sanne."""

    def __init__(self) -> None:
        self.north = services.school_create(actor=None, code="NOORD", name="OBS Noord", now=NOW)
        self.south = services.school_create(actor=None, code="ZUID", name="CBS Zuid", now=NOW)
        mk = self._user
        self.admin = mk("anna", Role.INSTITUTE_ADMIN, "Anna Admin")
        self.privacy = mk("piet", Role.PRIVACY_OFFICER, "Piet Privacy")
        self.school_admin = mk("saskia", Role.SCHOOL_ADMIN, "Saskia School", "NOORD")
        self.other_school_admin = mk("zoe", Role.SCHOOL_ADMIN, "Zoë Zuid", "ZUID")
        self.student = mk("sanne", Role.STUDENT_TEACHER, "Sanne Student")
        self.fellow = mk("femke", Role.STUDENT_TEACHER, "Femke Fellow")
        self.trainer = mk("tom", Role.TRAINER, "Tom Trainer")
        self.second_trainer = mk("tara", Role.TRAINER, "Tara Trainer")
        self.unassigned_trainer = mk("uri", Role.TRAINER, "Uri Unassigned")
        self.supervisor = mk("mira", Role.SCHOOL_SUPERVISOR, "Mira Mentor", "NOORD")
        self.other_supervisor = mk("otto", Role.SCHOOL_SUPERVISOR, "Otto Other", "ZUID")
        services.enrolment_set(
            actor=self.admin,
            username="sanne",
            school_code="NOORD",
            study_end=date(2027, 7, 15),
            trainers=["tom", "tara"],
            supervisors=["mira"],
            now=NOW,
        )
        services.enrolment_set(
            actor=self.admin,
            username="femke",
            school_code="NOORD",
            study_end=date(2027, 7, 15),
            trainers=[],
            supervisors=[],
            now=NOW,
        )
        services.guidelines_ensure_default(now=NOW - timedelta(days=30))

    @staticmethod
    def _user(username, role, full_name, school=None) -> User:
        return services.user_create(
            actor=None,
            username=username,
            password=PASSWORD,
            role=role,
            full_name=full_name,
            email=f"{username}@example.org",
            school_code=school,
            now=NOW,
        )

    def api(self, user: User | None) -> Api:
        return Api() if user is None else login(user.username)
