"""Fixtures only: what they stand on lives in the support package (tests/support)."""

import importlib
from pathlib import Path

import pytest
import time_machine

from classvault.core.home import home_prepare
from classvault.people import services
from support.media import make_video
from support.personas import NOW, TODAY, World, isolated_home
from support.pupils import Pupils
from support.recordings import make_recording

# Fixtures for tests with real threads (support/concurrency.py), a real S3 server (support/s3.py).
pytest_plugins = ["support.concurrency", "support.s3"]


# The test files that start the real S3 server (support/s3.py, a session-wide Ceph): two
# Ceph clusters started at once by two parallel workers disturbed each other, so these
# files all run on one worker.
S3_FILES = {
    "tests/test_health_storage.py",
    "tests/test_s3_end_to_end.py",
    "tests/test_s3_support.py",
    "tests/test_storage_check.py",
    "tests/vault/test_vault_blobs.py",
    "tests/vault/test_vault_s3.py",
}


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (make test), with the S3 files as one file: one Ceph per run."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class OneCephScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "s3-files" if path in S3_FILES else path

    return OneCephScheduling(config, log)


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
def transactional_db(transactional_db):
    """pytest-django's, for every test with real commits (threads, processes, a live
    server): afterwards it empties every table; on SQLite that is a DELETE, which the
    append-only triggers refuse. So the guarded tables are emptied first, their triggers
    lifted for that moment and put back as they were. (PostgreSQL's flush is a TRUNCATE,
    which row triggers do not see.)"""
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.constraint_checks_disabled(), connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
        for name, _table, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        for table in {table for _name, table, _sql in triggers}:
            cursor.execute(f'DELETE FROM "{table}"')
        for _name, _table, sql in triggers:
            cursor.execute(sql)


@pytest.fixture
def concurrent_db(transactional_db):
    """Real commits, for tests with threads or processes (each closes its connection)."""


@pytest.fixture(autouse=True)
def _statement_in_force(request):
    """The privacy statement the migrations publish, in force in every test's database.

    A test with real commits ends by emptying the database; serially pytest-django runs
    those last, but parallel workers (pytest-xdist) run a file's tests together, so a later
    test on the same worker would find no statement. Within a test's transaction the
    statement goes again with the rollback."""
    names = request.fixturenames
    if "transactional_db" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
    else:
        return
    from django.apps import apps

    migration = importlib.import_module("classvault.consent.migrations.0003_privacy_statement_v1")
    migration.publish_v1(apps, None)


@pytest.fixture(autouse=True)
def _isolated_home(settings, tmp_path: Path):
    """Every test gets its own data home: nothing touches a developer's classvault-data."""
    for name, value in isolated_home(tmp_path / "home").items():
        setattr(settings, name, value)


@pytest.fixture
def world(db) -> World:
    return World()


# --- recording studio: a vault home, a frozen clock, pupils with mixed consent -----------


@pytest.fixture
def frozen():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def vault_home(settings):
    home_prepare(
        home=settings.CLASSVAULT_HOME,
        secret_key_file=settings.CLASSVAULT_SECRET_KEY_FILE,
        master_key_file=settings.CLASSVAULT_MASTER_KEY_FILE,
        create_secret_key=False,
    )
    return settings.CLASSVAULT_HOME


@pytest.fixture
def studio(world, vault_home, frozen):
    """Sanne ready to record: guidelines accepted, pupils of her school with mixed consent."""
    services.guidelines_acknowledge(actor=world.student, now=NOW)
    world.pupils = Pupils(world)
    return world


@pytest.fixture(scope="session")
def small_video() -> bytes:
    return make_video(seconds=1.0)


# --- a real Chromium for the browser tests (Debian's, driven offline by Playwright) ---------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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
    """The pupils of support/pupils.py: full, recording-only and no consent."""
    return Pupils(world)


@pytest.fixture
def recording(world, vault_home):
    """Sanne's lesson recorded at NOW, ready; rows and encrypted objects written directly."""
    return make_recording(world.student, recorded_at=NOW, title="Breuken met pizza")


@pytest.fixture(autouse=True)
def _second_factor_with_force_login(monkeypatch):
    """``client.force_login`` stands for a finished login: for the roles that need a second
    factor that includes it (support/personas.py enrols and marks the session)."""
    from django.test import Client

    from support.personas import pass_second_factor

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        pass_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
