"""Named personas and API helpers shared by every test."""

import json
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

from classvault.core.home import home_prepare, write_secret_file
from classvault.people import services
from classvault.people.models import Role, User

# Fixtures for tests with real threads (concurrency.py).
pytest_plugins = ["concurrency"]

PASSWORD = "correct-horse-battery-1"
NOW = datetime.fromisoformat("2026-11-02T10:00:00+01:00")


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Real Argon2 with cheap parameters, so building personas takes milliseconds."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests run on a file, as production does, not Django's shared-cache memory
    database: there concurrent writers fail at once ("table is locked") instead of waiting
    for the lock, so tests with real threads would test something else."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture
def concurrent_db(transactional_db):
    """Real commits, for tests with threads or processes (each closes its connection).

    Afterwards pytest-django empties every table; on SQLite that is a DELETE, which the
    append-only triggers refuse. So the guarded tables are emptied first, their triggers
    lifted for that moment and put back as they were.
    """
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return  # PostgreSQL's flush is a TRUNCATE, which row triggers do not see
    with connection.constraint_checks_disabled(), connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
        for name, _table, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        for table in {table for _name, table, _sql in triggers}:
            cursor.execute(f'DELETE FROM "{table}"')
        for _name, _table, sql in triggers:
            cursor.execute(sql)


@pytest.fixture(autouse=True)
def _isolated_home(settings, tmp_path: Path):
    """Every test gets its own data home: nothing touches a developer's classvault-data."""
    settings.PASSWORD_HASHERS = ["conftest.FastArgon2PasswordHasher"]
    settings.CLASSVAULT_HOME = tmp_path / "home"
    settings.CLASSVAULT_MASTER_KEY_FILE = tmp_path / "home" / "master.key"
    settings.CLASSVAULT_SECRET_KEY_FILE = tmp_path / "home" / "secret.key"
    settings.CLASSVAULT_STORAGE_URL = f"file://{tmp_path / 'home' / 'blobs'}"
    # Every state change writes an audit event, and every audit event needs the audit key.
    settings.CLASSVAULT_AUDIT_KEY_FILE = tmp_path / "home" / "audit.key"
    settings.CLASSVAULT_AUDIT_CHECKPOINT_FILE = tmp_path / "home" / "audit-checkpoints"
    write_secret_file(settings.CLASSVAULT_AUDIT_KEY_FILE, secrets.token_hex(32))


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
            actor=self.admin, username="sanne", school_code="NOORD",
            study_end=date(2027, 7, 15), trainers=["tom", "tara"], supervisors=["mira"],
            now=NOW,
        )
        services.enrolment_set(
            actor=self.admin, username="femke", school_code="NOORD",
            study_end=date(2027, 7, 15), trainers=[], supervisors=[], now=NOW,
        )
        services.guidelines_ensure_default(now=NOW - timedelta(days=30))

    @staticmethod
    def _user(username, role, full_name, school=None) -> User:
        return services.user_create(
            actor=None, username=username, password=PASSWORD, role=role,
            full_name=full_name, email=f"{username}@example.org", school_code=school, now=NOW,
        )

    def api(self, user: User | None) -> Api:
        return Api() if user is None else login(user.username)


@pytest.fixture
def world(db) -> World:
    return World()


# --- recording studio: a vault home, a frozen clock, pupils with mixed consent -----------

@pytest.fixture
def frozen():
    with time_machine.travel(NOW + timedelta(days=1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def vault_home(settings):
    home_prepare(home=settings.CLASSVAULT_HOME,
                 secret_key_file=settings.CLASSVAULT_SECRET_KEY_FILE,
                 master_key_file=settings.CLASSVAULT_MASTER_KEY_FILE, create_secret_key=False)
    return settings.CLASSVAULT_HOME


@pytest.fixture
def studio(world, vault_home, frozen):
    """Sanne ready to record: guidelines accepted, pupils of her school with mixed consent."""
    from consent.pupil_personas import Pupils

    services.guidelines_acknowledge(actor=world.student, now=NOW)
    world.pupils = Pupils(world)
    return world


@pytest.fixture(scope="session")
def small_video() -> bytes:
    from mediagen import make_video

    return make_video(seconds=1.0)


# --- a real Chromium for the browser tests (Debian's, driven offline by Playwright) ---------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]



@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make browser` installs it")
    from playwright.sync_api import sync_playwright  # only the browser tests need it

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def at_now(time_machine):
    """The wall clock at NOW, when the personas were made (tests may move it further)."""
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def pupils(world):
    """The pupils of tests/consent/pupil_personas.py: full, recording-only and no consent."""
    from consent.pupil_personas import Pupils

    return Pupils(world)
