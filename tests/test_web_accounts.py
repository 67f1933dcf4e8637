"""The account pages: change your own password; the institute admin's account page with
last login, tokens in force, deactivation and reactivation. Dutch first."""

import pytest
from django.test import Client

from classvault.people.models import ApiToken, User
from support import personas
from support.audit import assert_audited, nothing_audited
from support.personas import PASSWORD, login

NEW_PASSWORD = "another-horse-battery-2"


def web_login(username: str) -> Client:
    # Through the second-factor page too: admins and privacy officers need one.
    return personas.web_login(username)


def test_every_page_links_to_the_password_change(world):
    html = web_login("sanne").get("/").content.decode()
    assert 'href="/account/password/"' in html
    assert "Wachtwoord wijzigen" in html


def test_a_wrong_current_password_or_differing_repeat_is_refused_in_dutch(world):
    client = web_login("sanne")
    with nothing_audited():
        wrong = client.post(
            "/account/password/",
            {"current_password": "nope", "new_password": NEW_PASSWORD, "repeat": NEW_PASSWORD},
        )
        differ = client.post(
            "/account/password/",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat": "other-one-9"},
        )
    assert wrong.status_code == 422
    assert "Het huidige wachtwoord klopt niet" in wrong.content.decode()
    assert differ.status_code == 422
    assert "verschillen" in differ.content.decode()
    assert User.objects.get(username="sanne").check_password(PASSWORD)


def test_the_password_page_needs_a_login(db):
    response = Client().get("/account/password/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_admin_sees_last_login_and_tokens_and_revokes_one(world):
    login("sanne")
    token = ApiToken.objects.get(user=world.student)
    admin = web_login("anna")

    page = admin.get("/institute/users/sanne/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Laatst aangemeld" in html
    assert "1 API-token geldig" in html
    assert f"/institute/users/sanne/tokens/{token.pk}/revoke/" in html
    response = admin.post(f"/institute/users/sanne/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_audited("auth.token_revoke_by_admin", actor="anna", object_id=token.pk)
    listing = admin.get("/institute/users/?q=sanne").content.decode()
    assert 'href="/institute/users/sanne/"' in listing


def test_the_admin_deactivates_and_reactivates_on_the_page(world):
    api = login("tom")
    browser = web_login("tom")
    admin = web_login("anna")

    response = admin.post("/institute/users/tom/deactivate/", follow=True)

    assert "gedeactiveerd" in response.content.decode()
    assert api.get("/me").status_code == 401
    assert browser.get("/").status_code == 302
    assert not User.objects.get(username="tom").is_active
    admin.post("/institute/users/tom/reactivate/")
    assert User.objects.get(username="tom").is_active
    assert browser.get("/").status_code == 302  # the old session stays ended


def test_the_admin_page_offers_no_deactivation_of_oneself(world):
    html = web_login("anna").get("/institute/users/anna/").content.decode()
    assert "/institute/users/anna/deactivate/" not in html


@pytest.mark.parametrize("who", ["sanne", "tom", "piet", "saskia"])
def test_only_the_institute_admin_reaches_account_pages(world, who):
    client = web_login(who)
    with nothing_audited():
        assert client.get("/institute/users/femke/").status_code == 403
        assert client.post("/institute/users/femke/deactivate/").status_code == 403
    assert User.objects.get(username="femke").is_active


def test_an_unknown_account_is_404(world):
    assert web_login("anna").get("/institute/users/nobody/").status_code == 404
