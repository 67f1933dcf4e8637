"""A busy database answers 503 with Retry-After, never 500 (issue 9, outside attack 1b):
SQLite's "database is locked", and PostgreSQL's deadlock and serialization failure; and so
does a connection lost under a request (issue 15: PostgreSQL ended the session)."""

import psycopg.errors
import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import get_resolver

from classvault.core.busy import is_database_busy, is_database_unavailable, is_database_unreachable
from support.busy import busy_error, wrapped_error
from support.personas import World, web_login


@pytest.fixture(autouse=True)
def _views_loaded():
    """Every view module imported before a test patches a function: a module that imports
    one by name (``web.officer_selectors`` imports ``health_detail``) would otherwise keep
    the stand-in for good when it is first imported under the patch."""
    get_resolver().url_patterns  # noqa: B018 (loads the URLconf and every view module)


@pytest.mark.parametrize("kind", ["deadlock", "serialization", "locked"])
def test_transient_errors_are_busy(kind):
    assert is_database_busy(busy_error(kind))


def test_other_errors_are_not_busy():
    assert not is_database_busy(OperationalError("disk I/O error"))
    assert not is_database_busy(RuntimeError("deadlock detected"))


@pytest.mark.parametrize("kind", ["deadlock", "serialization"])
def test_a_deadlock_is_503_with_retry_after_in_the_api(world, monkeypatch, kind):
    def deadlocked(**kwargs):
        raise busy_error(kind)

    monkeypatch.setattr("classvault.core.health.health_detail", deadlocked)
    response = world.api(world.privacy).get("/health/detail")
    assert response.status_code == 503
    assert response["Retry-After"] == "5" and response.json()["detail"]


def test_a_deadlock_is_the_busy_page_on_the_web(world, monkeypatch):
    def deadlocked(**kwargs):
        raise busy_error("deadlock")

    monkeypatch.setattr("classvault.web.selectors.landing_for", deadlocked)
    client = Client()
    web_login(world.privacy.username, client=client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "ClassVault is busy" in response.content.decode()


# --- a connection lost under a request (PostgreSQL ended the session) ---------------------

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a server session to end: PostgreSQL"
)


@pytest.mark.parametrize(
    "cause",
    [psycopg.errors.AdminShutdown, psycopg.errors.CrashShutdown, psycopg.errors.ConnectionFailure],
)
def test_a_lost_connection_is_unavailable_not_busy(cause):
    error = wrapped_error(cause, "terminating connection")
    assert is_database_unreachable(error) and is_database_unavailable(error)
    assert not is_database_busy(error)


def test_other_database_errors_are_not_unavailable():
    assert not is_database_unavailable(OperationalError("disk I/O error"))
    assert not is_database_unavailable(
        wrapped_error(psycopg.errors.QueryCanceled, "canceling statement")
    )
    assert not is_database_unavailable(RuntimeError("terminating connection"))


def _end_own_session(**kwargs):
    """What an administrator's pg_terminate_backend (or a restart) does to a request's
    session, done by the session itself: the real error, from the real server."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


def _request_ended() -> None:
    # What Django does when a served request ends (the test client leaves it out, so that
    # tests keep their connection): a broken connection is closed, the next opens anew.
    connection.close_if_unusable_or_obsolete()


@on_postgres
def test_a_session_ended_under_an_api_request_is_503_and_the_next_is_served(
    concurrent_db, monkeypatch
):
    world = World()
    api = world.api(world.privacy)
    monkeypatch.setattr("classvault.core.health.health_detail", _end_own_session)
    response = api.get("/health/detail")
    assert response.status_code == 503
    assert response["Retry-After"] == "5" and response.json()["detail"]
    monkeypatch.undo()
    _request_ended()
    assert api.get("/health/detail").status_code == 200


@on_postgres
def test_a_session_ended_under_a_page_is_the_busy_page_and_the_next_is_served(
    concurrent_db, monkeypatch
):
    world = World()
    client = Client()
    web_login(world.privacy.username, client=client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    monkeypatch.setattr("classvault.web.selectors.landing_for", _end_own_session)
    response = client.get("/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "ClassVault is busy" in response.content.decode()
    monkeypatch.undo()
    _request_ended()
    assert client.get("/").status_code == 200


def test_a_client_side_error_counts_as_lost_only_when_the_connection_is(monkeypatch):
    # psycopg reports a connection found closed with no SQLSTATE: lost only if it is.
    class Raw:
        closed = broken = False

    error = wrapped_error(psycopg.OperationalError, "the connection is closed")
    monkeypatch.setattr(connections["default"], "connection", Raw())
    assert not is_database_unreachable(error)
    Raw.closed = True
    assert is_database_unreachable(error)
