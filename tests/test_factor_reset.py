"""A lost authenticator: the institute admin resets a person's second factor (API and web),
which removes their authenticator and recovery codes and ends every session and token; a
role that needs a factor enrols again at the next login. And the person's own new recovery
codes, in exchange for a current code."""


import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from classvault.people import factors
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, PASSWORD, Api, login, second_factor_device, totp_code
from support.personas import web_login as web_login_with_factor


def signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def password_only(username: str):
    return Api().post("/auth/token", {"username": username, "password": PASSWORD})


def test_the_admin_resets_a_trainers_lost_factor_by_api(world):
    device = second_factor_device(world.trainer)
    factors.recovery_codes_issue(user=world.trainer)
    tokens = [login("tom"), login("tom")]
    browser = web_login_with_factor("tom")
    assert signed_in(browser)
    admin = login("anna")
    assert admin.get("/users/tom").json()["second_factor"] is True

    response = admin.delete("/users/tom/second-factor")

    assert response.status_code == 200, response.content
    assert response.json()["second_factor"] is False and response.json()["tokens"] == []
    assert not TOTPDevice.objects.filter(user=world.trainer).exists()
    assert not StaticDevice.objects.filter(user=world.trainer).exists()
    for api in tokens:
        assert api.get("/me").status_code == 401
    assert not signed_in(browser)
    # The old phone's code is worth nothing; the role must enrol again first.
    refused = Api().post(
        "/auth/token",
        {"username": "tom", "password": PASSWORD, "otp": totp_code(device.bin_key)},
    )
    assert refused.status_code == 403 and "tweede factor" in refused.json()["detail"]
    client = Client()
    again = client.post("/login/", {"username": "tom", "password": PASSWORD})
    assert again["Location"].startswith("/account/second-factor/")
    assert client.get("/")["Location"].startswith("/account/second-factor/")
    event = assert_audited("user.factor_reset", actor="anna", object_id="tom")
    assert len(event.data["tokens_revoked"]) == 2


def test_after_a_reset_a_voluntary_user_signs_in_with_the_password_again(world):
    factors.factor_enrol_direct(user=world.student, now=NOW)
    assert password_only("sanne").status_code == 401
    assert login("anna").delete("/users/sanne/second-factor").status_code == 200
    assert password_only("sanne").status_code == 200
    assert_audited("user.factor_reset", actor="anna", object_id="sanne")


@pytest.mark.parametrize("persona", ["privacy", "trainer", "school_admin", "supervisor", "student"])
def test_other_roles_may_not_reset_a_factor(world, persona):
    second_factor_device(world.privacy)
    factors.factor_enrol_direct(user=world.student, now=NOW)
    api = login(getattr(world, persona).username)
    with nothing_audited():
        assert api.delete("/users/sanne/second-factor").status_code == 403
    assert TOTPDevice.objects.filter(user=world.student).exists()


def test_an_unknown_user_is_404_and_one_without_a_factor_409(world):
    admin = login("anna")
    with nothing_audited():
        assert admin.delete("/users/nobody/second-factor").status_code == 404
        response = admin.delete("/users/femke/second-factor")
        assert response.status_code == 409 and "femke" in response.json()["detail"]


def test_the_admin_cannot_reset_her_own_factor(world):
    admin = login("anna")
    with nothing_audited():
        response = admin.delete("/users/anna/second-factor")
    assert response.status_code == 409
    assert "andere beheerder" in response.json()["detail"]
    assert TOTPDevice.objects.filter(user=world.admin, confirmed=True).exists()
    assert admin.get("/me").status_code == 200


# --- the admin's account page ---------------------------------------------------------------


def test_the_account_page_resets_a_factor_and_says_so_in_dutch(world):
    second_factor_device(world.privacy)
    victim = web_login_with_factor("piet")
    admin = web_login_with_factor("anna")
    page = admin.get("/institute/users/piet/").content.decode()
    assert "Tweede factor herstellen" in page

    response = admin.post("/institute/users/piet/second-factor/reset/", follow=True)

    html = response.content.decode()
    assert "De tweede factor is hersteld" in html
    assert "Geen tweede factor ingesteld" in html
    assert not signed_in(victim)
    assert_audited("user.factor_reset", actor="anna", object_id="piet")


def test_the_account_page_offers_no_reset_of_the_admins_own_factor(world):
    admin = web_login_with_factor("anna")
    page = admin.get("/institute/users/anna/").content.decode()
    assert "Tweede factor herstellen" not in page
    with nothing_audited():
        response = admin.post("/institute/users/anna/second-factor/reset/", follow=True)
    assert "andere beheerder" in response.content.decode()


@pytest.mark.parametrize("persona", ["trainer", "student", "school_admin"])
def test_the_reset_page_is_closed_to_other_roles(world, persona):
    factors.factor_enrol_direct(user=world.fellow, now=NOW)
    client = web_login_with_factor(getattr(world, persona).username)
    with nothing_audited():
        assert client.post("/institute/users/femke/second-factor/reset/").status_code == 403
