"""A lost authenticator: the institute admin resets a person's second factor (API and web),
which removes their authenticator and recovery codes and ends every session and token; a
role that needs a factor enrols again at the next login. And the person's own new recovery
codes, in exchange for a current code."""

import re

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


# --- the person's own menu link and new recovery codes ---------------------------------------


@pytest.mark.parametrize("persona", ["student", "supervisor", "school_admin", "trainer"])
def test_the_header_links_to_the_second_factor_page(world, persona):
    client = web_login_with_factor(getattr(world, persona).username)
    html = client.get("/").content.decode()
    assert 'href="/account/second-factor/">Tweede factor</a>' in html
    assert "Wachtwoord wijzigen" in html


def test_a_student_teacher_enrols_voluntarily_from_the_menu(world):
    client = web_login_with_factor("sanne")
    page = client.get("/account/second-factor/").content.decode()
    assert "Naast uw wachtwoord kunt u ook inloggen" in page
    key = TOTPDevice.objects.get(user=world.student, confirmed=False).bin_key
    done = client.post("/account/second-factor/", {"code": totp_code(key)})
    assert "Uw tweede factor is ingesteld" in done.content.decode()
    assert_audited("auth.factor_enrol", actor="sanne", object_id="sanne")
    assert password_only("sanne").status_code == 401  # from now on the code is asked for


def test_an_enrolled_person_gets_new_recovery_codes_for_a_current_code(world):
    device = second_factor_device(world.trainer)
    old = factors.recovery_codes_issue(user=world.trainer)
    client = web_login_with_factor("tom")
    assert "Nieuwe herstelcodes" in client.get("/account/second-factor/").content.decode()
    assert client.get("/account/recovery-codes/").status_code == 200

    with nothing_audited():
        wrong = client.post("/account/recovery-codes/", {"code": "000000"})
        # A recovery code does not buy new recovery codes.
        recovery = client.post("/account/recovery-codes/", {"code": old[0]})
    assert wrong.status_code == 422 and "Die code klopt niet" in wrong.content.decode()
    assert recovery.status_code == 422
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, last_t=-1)
    done = client.post("/account/recovery-codes/", {"code": totp_code(device.bin_key)})

    html = done.content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", html)
    assert "Uw nieuwe herstelcodes" in html and len(codes) == 10
    assert not set(codes) & set(old)
    assert_audited("auth.recovery_codes_issue", actor="tom", object_id="tom", recovery_codes=10)
    # The new codes work, the old ones are gone.
    assert factors.factor_verify(user=world.trainer, code=codes[0], now=NOW) is not None
    assert factors.factor_verify(user=world.trainer, code=old[1], now=NOW) is None


def test_someone_without_a_factor_is_sent_to_enrolment_for_recovery_codes(world):
    client = web_login_with_factor("sanne")
    response = client.get("/account/recovery-codes/")
    assert response.status_code == 302 and response["Location"] == "/account/second-factor/"
    with nothing_audited():
        client.post("/account/recovery-codes/", {"code": "123456"})
