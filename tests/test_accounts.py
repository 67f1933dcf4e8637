"""Account lifecycle: deactivation ends every session and token at once, reactivation brings
none back, a password change ends every other session and token; the admin's account view."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from classvault.core import clock
from classvault.core.exceptions import NotVisible
from classvault.people import accounts
from classvault.people.models import ApiToken, User
from classvault.sharing.models import Share
from classvault.sharing.selectors import recording_get_visible, recordings_visible
from classvault.sharing.services import share_grant
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, PASSWORD, Api, login
from support.recordings import make_recording

NEW_PASSWORD = "another-horse-battery-2"


def web_login(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return client


def signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


# --- deactivation -------------------------------------------------------------------------


def test_deactivation_refuses_the_token_at_once_and_ends_the_browser_session(world):
    tokens = [login("sanne"), login("sanne")]
    browser = web_login("sanne")
    assert signed_in(browser)
    admin = login("anna")

    response = admin.post("/users/sanne/deactivate")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_active"] is False and body["deactivated_at"]
    assert body["tokens"] == []
    for api in tokens:
        assert api.get("/me").status_code == 401
    assert not signed_in(browser)
    assert Api().post("/auth/token", {"username": "sanne", "password": PASSWORD}).status_code == 401
    ids = sorted(ApiToken.objects.filter(user=world.student).values_list("pk", flat=True))
    assert_audited("user.deactivate", actor="anna", object_id="sanne", tokens_revoked=ids)


def test_reactivation_lets_the_person_sign_in_again_but_revives_no_old_session(world):
    api = login("sanne")
    browser = web_login("sanne")
    admin = login("anna")
    admin.post("/users/sanne/deactivate")

    response = admin.post("/users/sanne/reactivate")

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert response.json()["deactivated_at"] is None
    assert api.get("/me").status_code == 401
    assert not signed_in(browser)
    assert login("sanne").get("/me").status_code == 200
    assert signed_in(web_login("sanne"))
    assert_audited("user.reactivate", actor="anna", object_id="sanne")


def test_deactivation_keeps_the_recordings_and_their_shares(world, vault_home):
    recording = make_recording(world.student)
    share_grant(actor=world.student, recording=recording, username="tom", now=NOW)
    login("anna").post("/users/sanne/deactivate")

    # The recording follows the retention rules, not the account: her trainer still
    # coaches from it until it expires.
    response = login("tom").get(f"/recordings/{recording.id}")
    assert response.status_code == 200
    assert response.json()["owner"] == "sanne"
    assert response.json()["shared_with"] == ["tom"]
    # ...and a deactivated trainer sees nothing, while the share itself is kept.
    login("anna").post("/users/tom/deactivate")
    assert not list(recordings_visible(actor=User.objects.get(username="tom"), now=clock.now()))
    assert Share.objects.filter(recording=recording, user__username="tom").exists()


def test_a_deactivated_trainer_sees_nothing_even_through_an_old_user_object(world, vault_home):
    recording = make_recording(world.student)
    share_grant(actor=world.student, recording=recording, username="tom", now=NOW)
    assert list(recordings_visible(actor=world.trainer, now=NOW)) == [recording]
    accounts.user_deactivate(actor=world.admin, username="tom", now=NOW)
    world.trainer.refresh_from_db()
    assert list(recordings_visible(actor=world.trainer, now=NOW)) == []
    with pytest.raises(NotVisible):
        recording_get_visible(actor=world.trainer, recording_id=recording.pk, now=NOW)


@pytest.mark.parametrize("who", ["sanne", "tom", "piet", "saskia", "mira"])
def test_only_the_institute_admin_deactivates(world, who):
    api = login(who)
    with nothing_audited():
        assert api.post("/users/femke/deactivate").status_code == 403
        assert api.post("/users/femke/reactivate").status_code == 403
        assert api.get("/users/femke").status_code == 403
    assert User.objects.get(username="femke").is_active


def test_deactivation_without_a_token_is_401(world):
    assert Api().post("/users/femke/deactivate").status_code == 401
    assert User.objects.get(username="femke").is_active


def test_deactivating_an_unknown_user_is_404_twice_is_409_oneself_is_409(world):
    admin = login("anna")
    with nothing_audited():
        assert admin.post("/users/nobody/deactivate").status_code == 404
        assert admin.post("/users/anna/deactivate").status_code == 409
        assert admin.post("/users/femke/reactivate").status_code == 409
    assert admin.post("/users/femke/deactivate").status_code == 200
    with nothing_audited():
        response = admin.post("/users/femke/deactivate")
    assert response.status_code == 409
    assert response.json()["detail"]


# --- password change ----------------------------------------------------------------------


def test_password_change_ends_every_other_token_and_session_but_keeps_its_own(world):
    current = login("sanne")
    other = login("sanne")
    browser = web_login("sanne")

    response = current.post(
        "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204, response.content
    assert current.get("/me").status_code == 200
    assert other.get("/me").status_code == 401
    assert not signed_in(browser)
    assert Api().post("/auth/token", {"username": "sanne", "password": PASSWORD}).status_code == 401
    assert login("sanne", NEW_PASSWORD).get("/me").status_code == 200
    other_id = ApiToken.objects.filter(user=world.student).order_by("pk")[1].pk
    assert_audited(
        "user.password_change", actor="sanne", object_id="sanne", tokens_revoked=[other_id]
    )


def test_password_change_needs_the_current_password_and_a_valid_new_one(world):
    api = login("sanne")
    with nothing_audited():
        wrong = api.post("/me/password", {"current_password": "nope", "new_password": NEW_PASSWORD})
        short = api.post("/me/password", {"current_password": PASSWORD, "new_password": "abc"})
        same = api.post("/me/password", {"current_password": PASSWORD, "new_password": PASSWORD})
    assert (wrong.status_code, short.status_code, same.status_code) == (422, 422, 422)
    assert all(r.json()["detail"] for r in (wrong, short, same))
    assert login("sanne").get("/me").status_code == 200


def test_password_change_on_the_web_keeps_this_session_and_ends_the_others(world):
    here = web_login("sanne")
    elsewhere = web_login("sanne")
    api = login("sanne")

    response = here.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert api.get("/me").status_code == 401
    assert_audited("user.password_change", actor="sanne", channel="web")


def test_password_set_from_the_command_line_ends_every_session_and_token(world):
    api = login("sanne")
    browser = web_login("sanne")
    accounts.password_set(actor=None, username="sanne", password=NEW_PASSWORD, now=clock.now())
    assert api.get("/me").status_code == 401
    assert not signed_in(browser)
    assert login("sanne", NEW_PASSWORD).get("/me").status_code == 200
    assert_audited("user.password_change", actor="system", channel="cli")


# --- the admin's view of an account -------------------------------------------------------


def test_the_admin_sees_last_login_and_tokens_in_force(world):
    assert login("anna").get("/users/sanne").json()["last_login"] is None
    first = login("sanne")
    login("sanne").delete("/auth/token")  # revoked: not in force
    first.get("/me")

    body = login("anna").get("/users/sanne").json()

    assert body["username"] == "sanne" and body["is_active"] is True
    assert body["last_login"] is not None
    assert len(body["tokens"]) == 1
    token = body["tokens"][0]
    assert set(token) == {"id", "created_at", "last_used_at", "expires_at"}
    assert token["last_used_at"] is not None
    stored = ApiToken.objects.get(pk=token["id"])
    assert stored.revoked_at is None


def test_an_expired_token_is_not_listed(world):
    login("sanne")
    token = ApiToken.objects.get(user=world.student)
    with time_machine.travel(token.expires_at + timedelta(seconds=1), tick=False):
        assert login("anna").get("/users/sanne").json()["tokens"] == []


def test_the_admin_revokes_one_token(world):
    kept, revoked = login("sanne"), login("sanne")
    token = ApiToken.objects.filter(user=world.student).order_by("pk").last()
    admin, officer = login("anna"), login("piet")

    assert admin.delete(f"/users/sanne/tokens/{token.pk}").status_code == 204

    assert revoked.get("/me").status_code == 401
    assert kept.get("/me").status_code == 200
    assert_audited("auth.token_revoke_by_admin", actor="anna", object_id=token.pk, user="sanne")
    with nothing_audited():
        # Twice, or through another user's name, or by anyone else: nothing to revoke.
        assert admin.delete(f"/users/sanne/tokens/{token.pk}").status_code == 404
        other = ApiToken.objects.filter(user=world.student).order_by("pk").first()
        assert admin.delete(f"/users/femke/tokens/{other.pk}").status_code == 404
        assert officer.delete(f"/users/sanne/tokens/{other.pk}").status_code == 403
    assert kept.get("/me").status_code == 200


def test_the_users_list_counts_tokens_in_force(world):
    from classvault.people import selectors

    login("sanne")
    login("sanne")
    login("tom").delete("/auth/token")
    users = {
        u.username: u.active_tokens
        for u in selectors.users_list(actor=world.admin, now=timezone.now())
    }
    assert (users["sanne"], users["tom"], users["femke"]) == (2, 0, 0)
