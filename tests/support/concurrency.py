"""Real threads against a real database: a database of its own for each such test.

``django_db(transaction=True)`` does not serve here. The SQLite test database lives in
memory with a shared cache, where a second writer gets "database table is locked" at once
instead of waiting its turn as with a file; and flushing after the test fails on the
append-only triggers (SQLite) or empties what the migrations wrote, such as the published
privacy statement, for every later test (PostgreSQL). So the migrated, still empty test
database is copied once per session (to a file for SQLite; as a template for PostgreSQL),
and :func:`separate_database` gives each test a fresh copy of that, points every connection
of the test (its own and its threads') at it, and drops it afterwards. The test's own
database, wrapped in a transaction by the ``db`` fixture as usual, stays untouched.
"""

import importlib
import itertools
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, connections

_copies = itertools.count(1)


@pytest.fixture(scope="session")
def empty_database_template(django_db_setup, django_db_blocker, tmp_path_factory):
    """A copy of the migrated test database, made before any test wraps it in a transaction."""
    with django_db_blocker.unblock():
        # With what the migrations wrote, even after an earlier test emptied the database.
        migration = importlib.import_module(
            "classvault.consent.migrations.0003_privacy_statement_v1"
        )
        migration.publish_v1(apps, None)
        name = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            template = str(tmp_path_factory.mktemp("threads") / "template.sqlite3")
            connection.ensure_connection()
            target = sqlite3.connect(template)
            connection.connection.backup(target)
            target.close()
            yield template
            return
        template = f"{name}_threads"
        connection.close()  # PostgreSQL copies only a database nobody is connected to
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{template}"')
            cursor.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
        yield template
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{template}"')


@contextmanager
def separate_database(template: str, tmp_path: Path) -> Iterator[None]:
    """Run the block on a fresh copy of the template, shared by this thread and all others.

    Use it inside the ``db`` fixture (which sets the test database up).
    """
    own = connections["default"]
    settings_dict = own.settings_dict  # the dict every new thread's connection is built from
    original = settings_dict["NAME"]
    if own.vendor == "sqlite":
        copy = str(tmp_path / f"threads-{next(_copies)}.sqlite3")
        shutil.copyfile(template, copy)
    else:
        copy = f"{template}_{next(_copies)}"
        with own._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
    settings_dict["NAME"] = copy
    # This thread's connection is in the db fixture's transaction: set it aside meanwhile.
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = own
        settings_dict["NAME"] = original
        if own.vendor != "sqlite":
            with own._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def run_in_threads(*targets: Callable[[], object], timeout: float = 60) -> list:
    """Run each target in its own thread with its own connection; their results in order.

    An exception in a thread is returned as its result, so a test can assert on it.
    """
    results: list = [None] * len(targets)

    def run(index: int, target: Callable[[], object]) -> None:
        try:
            results[index] = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test to judge
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread did not finish: deadlock?"
    return results
