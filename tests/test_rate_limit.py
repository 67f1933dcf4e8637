"""API rate limit per token: a fixed window counted in the database, 429 with Retry-After,
health and the browser session not counted; the count holds across processes."""

import json
from datetime import datetime, timedelta

import pytest
import time_machine

from classvault.people.models import ApiToken, ApiTokenUsage
from classvault.people.ratelimit import token_request_count
from support.liveserver import call, running_server, token_for
from support.personas import Api, login

# A window that starts on a whole minute, so the test knows where it ends.
START = datetime.fromisoformat("2026-11-03T09:00:00+00:00")


@pytest.fixture
def limited(settings):
    settings.CLASSVAULT_API_RATE_LIMIT = 3
    settings.CLASSVAULT_API_RATE_WINDOW_SECONDS = 60


def test_the_request_past_the_limit_is_429_with_retry_after(world, limited):
    with time_machine.travel(START, tick=False) as clock:
        api = login("sanne")
        for _ in range(3):
            assert api.get("/me").status_code == 200
        clock.move_to(START + timedelta(seconds=20))
        response = api.get("/me")
        assert response.status_code == 429
        assert response["Retry-After"] == "40"
        assert response.json()["retry_after"] == 40
        assert "40" in response.json()["detail"]
        # The next window starts afresh.
        clock.move_to(START + timedelta(seconds=60))
        assert api.get("/me").status_code == 200


def test_the_limit_is_per_token(world, limited):
    with time_machine.travel(START, tick=False):
        first, second = login("sanne"), login("sanne")
        for _ in range(3):
            first.get("/me")
        assert first.get("/me").status_code == 429
        assert second.get("/me").status_code == 200
        assert login("tom").get("/me").status_code == 200


def test_health_the_token_endpoint_and_a_wrong_token_are_not_counted(world, limited):
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            assert Api().get("/health").status_code == 200
            assert Api("not-a-token").get("/me").status_code == 401
        api = login("sanne")
        for _ in range(3):
            assert api.get("/me").status_code == 200
        assert api.get("/health").status_code == 200  # exempt even past the limit
        assert ApiTokenUsage.objects.get().count == 3


def test_each_request_stamps_last_use_and_one_row_per_token_holds_the_count(world, limited):
    with time_machine.travel(START, tick=False) as clock:
        api = login("sanne")
        api.get("/me")
        usage = ApiTokenUsage.objects.get(token__user=world.student)
        assert (usage.count, usage.last_used_at) == (1, START)
        clock.move_to(START + timedelta(seconds=30))
        api.get("/me")
        usage.refresh_from_db()
        assert (usage.count, usage.last_used_at) == (2, START + timedelta(seconds=30))
        clock.move_to(START + timedelta(minutes=5, seconds=7))
        api.get("/me")
        usage.refresh_from_db()
        assert (usage.count, usage.last_used_at) == (1, START + timedelta(minutes=5, seconds=7))
        assert ApiTokenUsage.objects.count() == 1


def test_a_request_of_a_lagging_clock_counts_in_the_current_window(world, limited):
    with time_machine.travel(START + timedelta(seconds=61), tick=False) as clock:
        api = login("sanne")
        api.get("/me")
        clock.move_to(START + timedelta(seconds=59))  # another process, a second behind
        api.get("/me")
        usage = ApiTokenUsage.objects.get()
        assert (usage.count, usage.window) == (2, int(START.timestamp()) // 60 + 1)


def test_counting_is_one_query(world, limited, django_assert_num_queries):
    login("sanne")
    token = ApiToken.objects.get(user=world.student)
    for _ in range(2):  # the first request of a token, and any later one
        with django_assert_num_queries(1):
            token_request_count(token=token, now=START)


def test_no_limit_when_switched_off_but_last_use_is_kept(world, settings):
    settings.CLASSVAULT_API_RATE_LIMIT = 0
    with time_machine.travel(START, tick=False):
        api = login("sanne")
        for _ in range(20):
            assert api.get("/me").status_code == 200
        usage = ApiTokenUsage.objects.get(token__user=world.student)
        assert (usage.count, usage.last_used_at) == (20, START)


@pytest.mark.cli
def test_the_count_holds_across_server_processes(tmp_path):
    """Four gunicorn processes share one count: 12 allowed, then 429 from any of them."""
    env = {"CLASSVAULT_API_RATE_LIMIT": "12", "CLASSVAULT_API_RATE_WINDOW_SECONDS": "3600"}
    with running_server(tmp_path / "home", env_extra=env, workers=4) as base:
        token = token_for(base, "sanne")
        statuses = [call(base, "GET", "/api/v1/me", token=token)[0] for _ in range(20)]
        assert statuses.count(200) == 12
        assert statuses[12:] == [429] * 8
        status, headers, body = call(base, "GET", "/api/v1/me", token=token)
        assert status == 429
        assert 0 < int(headers["Retry-After"]) <= 3600
        assert json.loads(body)["detail"]
        assert call(base, "GET", "/api/v1/health")[0] == 200
