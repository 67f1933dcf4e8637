"""A busy database answers 503 with Retry-After, never 500 (issue 9, outside attack 1b):
SQLite's "database is locked", and PostgreSQL's deadlock and serialization failure."""

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client

from classvault.core.busy import is_database_busy
from support.busy import busy_error
from support.personas import web_login


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
