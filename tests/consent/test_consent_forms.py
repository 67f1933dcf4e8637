"""Printable consent forms and the school's roster page (HTML, logged in)."""

import uuid

import pytest
from django.test import Client

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_forms_for_a_group_are_prefilled(world, pupils):
    response = client_for(world.school_admin).get("/consent/forms/", {"group": "5A"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ada Aap" in html and "Bram Beer" in html and "Cas Cavia" not in html
    assert "10 maart 2014" in html  # date of birth, Dutch
    assert html.count('class="consent-form"') == 2
    assert "/static/consent/consent.css" in html
    assert "privacy@iclon.leidenuniv.nl" in html
    assert "http://testserver/privacy" in html


def test_form_for_one_pupil(world, pupils):
    response = client_for(world.school_admin).get(f"/consent/forms/{pupils.dewi.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="consent-form"') == 1 and "Dewi Das" in html


def test_forms_carry_no_inline_styles_or_scripts(world, pupils):
    html = client_for(world.school_admin).get("/consent/forms/").content.decode()
    assert "style=" not in html and "<style" not in html and "<script" not in html


def test_forms_need_a_login(world, pupils):
    response = Client().get("/consent/forms/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["student", "trainer", "privacy", "admin"])
def test_only_the_school_admin_prints_forms(world, pupils, persona):
    assert client_for(getattr(world, persona)).get("/consent/forms/").status_code == 403


def test_school_admin_of_another_school_gets_no_forms_here(world, pupils):
    client = client_for(world.other_school_admin)
    assert client.get("/consent/forms/", {"school": "NOORD"}).status_code == 403
    assert client.get(f"/consent/forms/{pupils.ada.pk}/").status_code == 404
    assert client.get(f"/consent/forms/{uuid.uuid4()}/").status_code == 404


def test_roster_page_shows_consent_in_words_not_colour_alone(world, pupils):
    response = client_for(world.school_admin).get("/consent/pupils/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ada Aap" in html and "Eva Egel" not in html
    assert 'class="ok"' in html and 'class="error"' in html
    assert "no consent" in html or "geen toestemming" in html
    assert f"/consent/forms/{pupils.ada.pk}/" in html


def test_student_teacher_sees_the_roster_page_without_forms(world, pupils):
    response = client_for(world.student).get("/consent/pupils/", {"group": "5A"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ada Aap" in html and "Cas Cavia" not in html
    assert "/consent/forms/" not in html


def test_roster_page_refuses_other_roles(world, pupils):
    assert client_for(world.trainer).get("/consent/pupils/").status_code == 403
