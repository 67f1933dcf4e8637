from datetime import timedelta

import time_machine
from django.utils import timezone

from classvault.audit.models import AuditEvent
from classvault.people.models import ApiToken
from support.personas import PASSWORD, Api, login


def test_token_for_right_credentials(world):
    response = Api().post("/auth/token", {"username": "sanne", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert Api(body["token"]).get("/me").json()["username"] == "sanne"


def test_issuing_a_token_is_audited(world):
    response = Api().post("/auth/token", {"username": "sanne", "password": PASSWORD})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=world.student)
    assert token.is_active(timezone.now())
    event = AuditEvent.objects.get(action="auth.token_issue")
    assert (event.actor, event.object, event.data) == ("sanne", f"token:{token.pk}", {})


def test_wrong_password_is_401_and_audited(world):
    response = Api().post("/auth/token", {"username": "sanne", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json()["detail"]
    assert AuditEvent.objects.filter(action="auth.login_failed", object_id="sanne").exists()


def test_unknown_user_is_401(world):
    response = Api().post("/auth/token", {"username": "nobody", "password": PASSWORD})
    assert response.status_code == 401


def test_inactive_user_cannot_get_or_use_a_token(world):
    api = login("sanne")
    world.student.is_active = False
    world.student.save()
    assert api.get("/me").status_code == 401
    response = Api().post("/auth/token", {"username": "sanne", "password": PASSWORD})
    assert response.status_code == 401


def test_token_is_stored_only_as_a_hash(world):
    raw = login("sanne").token
    stored = ApiToken.objects.get(user=world.student)
    assert raw not in stored.key_hash
    assert len(stored.key_hash) == 64
    assert not ApiToken.objects.filter(key_hash=raw).exists()


def test_passwords_are_hashed_with_argon2(world):
    assert world.student.password.startswith("argon2$")
    assert PASSWORD not in world.student.password


def test_token_expires(world):
    api = login("sanne")
    token = ApiToken.objects.get(user=world.student)
    with time_machine.travel(token.expires_at - timedelta(seconds=1), tick=False):
        assert api.get("/me").status_code == 200
    with time_machine.travel(token.expires_at, tick=False):
        assert api.get("/me").status_code == 401
    with time_machine.travel(token.expires_at + timedelta(seconds=1), tick=False):
        assert api.get("/me").status_code == 401


def test_logout_revokes_the_token(world):
    api = login("sanne")
    assert api.delete("/auth/token").status_code == 204
    assert api.get("/me").status_code == 401
    assert ApiToken.objects.get(user=world.student).revoked_at is not None
    assert AuditEvent.objects.filter(action="auth.token_revoke").exists()


def test_revoking_one_token_keeps_the_others(world):
    first, second = login("sanne"), login("sanne")
    first.delete("/auth/token")
    assert second.get("/me").status_code == 200


def test_token_expiry_is_in_the_future(world):
    body = Api().post("/auth/token", {"username": "sanne", "password": PASSWORD}).json()
    from datetime import datetime

    assert datetime.fromisoformat(body["expires_at"]) > timezone.now()
