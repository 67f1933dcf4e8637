"""Abuse limits on logging in (django-axes): lockout per account and per address, on the web
login and the token endpoint; one audit event per lockout, never a typed unknown username;
the lock lifts after the cool-off (an injected clock) or by the institute admin."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client

from classvault.audit.models import AuditEvent
from support.personas import PASSWORD, Api, web_login

LIMIT = 3


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def api_token(username, password, address="127.0.0.1"):
    client = Api()
    client.client = Client(REMOTE_ADDR=address)
    return client.post("/auth/token", {"username": username, "password": password})


def test_the_token_endpoint_locks_an_account_after_the_limit(world):
    for _ in range(LIMIT - 1):
        assert api_token("sanne", "wrong-password-1").status_code == 401
    # The failure that reaches the limit is answered with the lockout already.
    assert api_token("sanne", "wrong-password-1").status_code == 429
    locked = api_token("sanne", PASSWORD)
    assert locked.status_code == 429
    assert "Te veel mislukte inlogpogingen" in locked.json()["detail"]
    # Locked per account: another address does not help.
    assert api_token("sanne", PASSWORD, address="10.1.2.3").status_code == 429
    # Audited: the first failure, and the lockout once with the count; no event per attempt.
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert lockout.object_id == "sanne" and lockout.data["failures"] == LIMIT
    assert lockout.data["channel"] == "api"


def test_the_web_login_is_locked_too_in_dutch(world):
    client = Client()
    for _ in range(LIMIT - 1):
        assert client.post("/login/", {"username": "femke", "password": "nope"}).status_code == 401
    assert client.post("/login/", {"username": "femke", "password": "nope"}).status_code == 429
    page = client.post("/login/", {"username": "femke", "password": PASSWORD})
    assert page.status_code == 429
    assert "Te veel mislukte inlogpogingen" in page.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="auth.lockout").data["channel"] == "web"


def test_an_address_trying_many_names_is_locked_without_storing_them(world):
    answers = [
        api_token(name, "x", address="192.0.2.9").status_code
        for name in ("hunter2-typed-as-name", "admin", "root")
    ]
    assert answers == [401] * (LIMIT - 1) + [429]
    # The address is locked, even for a real account with the right password...
    assert api_token("sanne", PASSWORD, address="192.0.2.9").status_code == 429
    # ...but not elsewhere.
    assert api_token("sanne", PASSWORD, address="192.0.2.10").status_code == 200
    stored = set(AccessAttempt.objects.values_list("username", flat=True))
    assert all(name.startswith("?") for name in stored), stored
    assert not {"hunter2-typed-as-name", "admin", "root"} & stored
    assert not AuditEvent.objects.filter(action="auth.login_failed").exists()
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert lockout.object_type == "address" and lockout.object_id == "192.0.2.9"
    assert "hunter2" not in str(list(AuditEvent.objects.values()))


def test_the_lock_lifts_after_the_cool_off(world):
    for _ in range(LIMIT):
        api_token("sanne", "wrong-password-1")
    assert api_token("sanne", PASSWORD).status_code == 429
    later = datetime.now(UTC)
    with time_machine.travel(later + timedelta(minutes=14, seconds=50), tick=False):
        assert api_token("sanne", PASSWORD).status_code == 429
    with time_machine.travel(later + timedelta(minutes=15, seconds=10), tick=False):
        assert api_token("sanne", PASSWORD).status_code == 200


def test_the_institute_admin_sees_and_lifts_a_lock(world):
    for _ in range(LIMIT):
        api_token("sanne", "wrong-password-1", address="198.51.100.7")
    admin = web_login("anna")
    page = admin.get("/institute/lockouts/").content.decode()
    assert "Inlogblokkades" in page and "sanne" in page and "198.51.100.7" in page
    assert "Geblokkeerd tot" in page
    attempt = AccessAttempt.objects.get(username="sanne")
    response = admin.post("/institute/lockouts/", {"attempt": attempt.pk})
    assert response.status_code == 302
    assert api_token("sanne", PASSWORD, address="198.51.100.7").status_code == 200
    lift = AuditEvent.objects.get(action="auth.lockout_lift")
    assert lift.actor == "anna" and lift.object_id == "sanne" and lift.data["failures"] == LIMIT


@pytest.mark.parametrize("persona", ["privacy", "trainer", "student", "school_admin"])
def test_only_the_institute_admin_reaches_the_lockouts(world, persona):
    for _ in range(LIMIT):
        api_token("femke", "wrong-password-1", address="203.0.113.5")
    client = web_login(getattr(world, persona).username)
    assert client.get("/institute/lockouts/").status_code == 403
    attempt = AccessAttempt.objects.get(username="femke")
    assert client.post("/institute/lockouts/", {"attempt": attempt.pk}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
