"""Named personas and a JSON client for the API, all made at the shared ``NOW``."""

import json
import secrets
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from classvault.core.home import write_secret_file
from classvault.people import factors, services
from classvault.people.models import Role, User

PASSWORD = "correct-horse-battery-1"
NOW = datetime.fromisoformat("2026-11-02T10:00:00+01:00")
TODAY = NOW + timedelta(days=1)  # the wall clock while the `frozen` fixture holds
# A well-formed id that names nothing; fixed, so that parallel test workers (pytest-xdist)
# collect the same parametrized tests.
UNKNOWN_ID = "3f0e9c1a-7b2d-4c5e-9a61-2d8f4b7c0e15"


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


def second_factor_device(user: User) -> TOTPDevice | None:
    """The authenticator of a person who needs one (enrolled here on first need), else None.

    Privacy officers, institute admins and trainers may not work without a second factor;
    the test helpers enrol and supply it centrally, as the person's phone would. The device
    is made as a fixture (no audit event): it stands for an enrolment done long before, so
    tests that assert what a refusal audits are not disturbed by it."""
    if not factors.factor_needed(user=user):
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def second_factor_code(username: str) -> str | None:
    """A valid authenticator code for ``username`` now (None when they need none).

    Tests log the same person in many times within one 30-second step, often under a frozen
    clock; a code is accepted only once (replay), so the device forgets its last used step
    first. Replay refusal itself is tested with real codes (tests/test_second_factor.py)."""
    user = User.objects.filter(username__iexact=username).first()
    device = None if user is None else second_factor_device(user)
    if device is None:
        return None
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return totp_code(device.bin_key)


def totp_code(key: bytes, *, at: float | None = None) -> str:
    """The RFC 6238 code (30 s steps, 6 digits) of ``key`` at ``at`` (default: now, as the
    server's clock reads it, frozen or not)."""
    moment = time.time() if at is None else at
    return f"{hotp(key, int(moment // 30)):06d}"


def login(username: str, password: str = PASSWORD) -> Api:
    body = {"username": username, "password": password}
    code = second_factor_code(username)
    if code is not None:
        body["otp"] = code
    response = Api().post("/auth/token", body)
    assert response.status_code == 200, response.content
    return Api(response.json()["token"])


def web_login(username: str, password: str = PASSWORD, *, client: Client | None = None) -> Client:
    """Log in through the login page, and through the second-factor page when it asks."""
    client = client or Client()
    second_factor_code(username)  # enrols the authenticator of a role that needs one
    csrf = {}
    if client.handler.enforce_csrf_checks:
        client.get("/login/")
        csrf = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    response = client.post("/login/", {"username": username, "password": password, **csrf})
    assert response.status_code == 302, response.content
    if response["Location"].startswith("/login/code/"):
        if csrf:  # logging in rotated the CSRF token
            csrf = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
        code = second_factor_code(username)
        response = client.post(response["Location"], {"code": code, **csrf})
        assert response.status_code == 302, response.content
    return client


def pass_second_factor(client: Client, user) -> None:
    """Mark a test client's session as past the second factor (for ``force_login``)."""
    device = second_factor_device(user)
    if device is None:
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


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
