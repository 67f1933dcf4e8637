"""The trainer's pages and the player: the inbox, the assessment form, feedback shown with
time codes and authors, and the privacy officer's purpose kept out of every URL."""

import re
from datetime import date, timedelta

import pytest
from django.test import Client

from classvault.audit.models import AuditEvent
from classvault.recordings.models import Assessment
from classvault.sharing.feedback import assessment_add, comment_add
from classvault.sharing.services import share_grant
from support.audit import assert_audited, nothing_audited
from support.personas import NOW
from support.personas import web_login as web_login_with_factor
from support.recordings import make_recording


def web_login(username: str) -> Client:
    return web_login_with_factor(username)


@pytest.fixture
def lessons(world, vault_home, at_now):
    """Two of Sanne's lessons shared with Tom: the later-expiring one already assessed."""
    early = make_recording(world.student, title="Rekenles", recorded_at=NOW - timedelta(days=30))
    late = make_recording(world.student, title="Taalles")
    for recording in (early, late):
        share_grant(actor=world.student, recording=recording, username="tom", now=NOW)
    assessment_add(
        actor=world.trainer,
        recording=late,
        verdict="goed",
        notes="",
        assessed_on=date(2026, 11, 2),
        now=NOW,
    )
    comment_add(
        actor=world.student, recording=early, at_seconds=2712, text="Hier twijfelde ik", now=NOW
    )
    return early, late


def test_trainer_home_is_an_inbox_unassessed_first(lessons):
    html = web_login("tom").get("/").content.decode()
    assert "Met u gedeeld" in html and "Mijn leraren-in-opleiding" in html
    assert html.index("Rekenles") < html.index("Taalles")
    assert "Nieuwe feedback" in html  # Sanne reflected on the lesson after Tom last looked
    assert "Beoordeeld: goed op 2 november 2026" in html
    assert "Nog niet beoordeeld" in html and "Sanne Student" in html


def test_unassigned_trainer_home_says_nothing_is_shared(lessons):
    html = web_login("uri").get("/").content.decode()
    assert "Er is nog niets met u gedeeld" in html and "Rekenles" not in html


def test_recordings_list_shows_the_verdict_not_not_yet_forever(lessons):
    html = web_login("sanne").get("/recordings/").content.decode()
    assert "Beoordeeld: goed op 2 november 2026" in html


def test_player_shows_time_codes_authors_roles_and_reflections(lessons):
    early, _ = lessons
    html = web_login("tom").get(f"/recordings/{early.pk}/").content.decode()
    assert "45:12" in html and "2712 s" not in html
    assert "Sanne Student" in html and "(leraar-in-opleiding)" in html
    assert "Reflectie" in html
    assert 'class="marker seek' in html  # a marker on the timeline
    # Sanne's comment is hers: Tom gets no edit or delete button for it.
    listed = re.search(r'<ol class="comments" id="comments">(.*?)</ol>', html, re.S).group(1)
    assert "Hier twijfelde ik" in listed and "Bewerken" not in listed
    own = web_login("sanne").get(f"/recordings/{early.pk}/").content.decode()
    listed = re.search(r'<ol class="comments" id="comments">(.*?)</ol>', own, re.S).group(1)
    assert "Bewerken" in listed and "Verwijderen" in listed


def test_an_empty_feedback_list_is_a_sentence(lessons):
    _, late = lessons
    html = web_login("tom").get(f"/recordings/{late.pk}/").content.decode()
    assert "Nog geen feedback." in html
    assert re.search(r'<ol class="comments" id="comments"\s+hidden>\s*</ol>', html)


def test_shared_trainer_gets_the_assessment_form_and_others_do_not(lessons):
    early, _ = lessons
    html = web_login("tom").get(f"/recordings/{early.pk}/").content.decode()
    assert "Beoordeling opslaan" in html and 'value="onvoldoende"' in html
    assert 'value="2026-11-02"' in html  # today, in Amsterdam
    for username in ("sanne", "mira"):
        assert (
            "Beoordeling opslaan"
            not in web_login(username).get(f"/recordings/{early.pk}/").content.decode()
        )


def test_trainer_assesses_in_the_browser(lessons):
    early, _ = lessons
    client = web_login("tom")
    response = client.post(
        f"/recordings/{early.pk}/assessment/",
        {"verdict": "voldoende", "notes": "Goede opbouw", "assessed_on": "2026-11-02"},
    )
    assert response.status_code == 302
    assert Assessment.objects.get(recording=early).verdict == "voldoende"
    assert_audited("assessment.add", actor="tom", object_id=early.pk, purpose="assessment")
    page = client.get(response["Location"]).content.decode()
    assert "Beoordeeld: voldoende op 2 november 2026" in page and "Goede opbouw" in page
    assert "Beoordeeld: voldoende op 2 november 2026" in client.get("/").content.decode()


@pytest.mark.parametrize(
    "form,expected",
    [
        ({"verdict": "prima", "assessed_on": "2026-11-02"}, "Kies een oordeel"),
        ({"verdict": "goed", "assessed_on": "2026-11-03"}, "in de toekomst"),
        ({"verdict": "goed", "assessed_on": "gisteren"}, "Geef de datum"),
        ({"verdict": "goed", "assessed_on": "2026-02-30"}, "Geef de datum"),
    ],
)
def test_a_refused_assessment_is_shown_and_keeps_what_was_typed(lessons, form, expected):
    early, _ = lessons
    client = web_login("tom")
    with nothing_audited():
        response = client.post(f"/recordings/{early.pk}/assessment/", form | {"notes": "Mijn"})
    assert response.status_code == 422
    html = response.content.decode()
    assert expected in html and 'role="alert"' in html and ">Mijn</textarea>" in html
    assert not Assessment.objects.filter(recording=early).exists()


@pytest.mark.parametrize(
    "username,status", [("sanne", 403), ("mira", 403), ("uri", 404), ("tara", 404)]
)
def test_others_cannot_assess_through_the_form(lessons, username, status):
    early, _ = lessons
    response = web_login(username).post(
        f"/recordings/{early.pk}/assessment/", {"verdict": "goed", "assessed_on": "2026-11-02"}
    )
    assert response.status_code == status
    assert not Assessment.objects.filter(recording=early).exists()


# --- the privacy officer's purpose: a POSTed form, kept in her session, in no URL --------


def test_privacy_officer_states_a_purpose_in_a_form_not_a_url(lessons):
    early, _ = lessons
    client = web_login("piet")
    first = client.get(f"/recordings/{early.pk}/")
    assert first.status_code == 200
    html = first.content.decode()
    assert "Doel van deze weergave" in html and 'method="post"' in html
    assert not AuditEvent.objects.filter(action="recording.view", actor="piet").exists()
    response = client.post(f"/recordings/{early.pk}/purpose/", {"purpose": "verzoek-7"})
    assert response.status_code == 302
    assert response["Location"] == f"/recordings/{early.pk}/"  # no purpose in the URL
    page = client.get(response["Location"]).content.decode()
    assert "verzoek-7" in page and "Deze weergave wordt met dat doel vastgelegd" in page
    assert "Bekijk alleen voor begeleiding" not in page
    assert "purpose=" not in page and "verzoek-7" not in "".join(
        re.findall(r'(?:src|href|poster|action|data-url)="([^"]*)"', page)
    )
    assert_audited("recording.view", actor="piet", object_id=early.pk, purpose="verzoek-7")
    # The player's own requests carry the purpose from the session, not the query string.
    assert client.get(f"/api/v1/recordings/{early.pk}/poster").status_code == 200
    assert client.get(f"/api/v1/recordings/{early.pk}/stream").status_code == 200
    assert_audited("recording.poster", actor="piet", object_id=early.pk, purpose="verzoek-7")
    assert_audited("recording.stream", actor="piet", object_id=early.pk, purpose="verzoek-7")


def test_privacy_officer_goes_from_the_player_to_the_recordings_legal_hold(lessons):
    early, _ = lessons
    client = web_login("piet")
    client.post(f"/recordings/{early.pk}/purpose/", {"purpose": "verzoek-7"})
    html = client.get(f"/recordings/{early.pk}/").content.decode()
    hold = f"/officer/recordings/{early.pk}/hold/"
    assert f'<a href="{hold}">Juridische bewaring (legal hold) van deze opname</a>' in html
    assert client.get(hold).status_code == 200
    for username in ("sanne", "tom"):  # only the privacy officer sees it
        assert hold not in web_login(username).get(f"/recordings/{early.pk}/").content.decode()


def test_an_empty_purpose_is_refused_with_a_message(lessons):
    early, _ = lessons
    client = web_login("piet")
    response = client.post(f"/recordings/{early.pk}/purpose/", {"purpose": "   "})
    assert response.status_code == 422
    assert "Geef het doel van deze weergave op" in response.content.decode()
    assert client.get(f"/api/v1/recordings/{early.pk}/stream").status_code == 422


def test_the_stated_purpose_is_for_this_recording_and_lapses(lessons, time_machine):
    early, late = lessons
    client = web_login("piet")
    client.post(f"/recordings/{early.pk}/purpose/", {"purpose": "verzoek-7"})
    assert "Doel van deze weergave" in client.get(f"/recordings/{late.pk}/").content.decode()
    assert client.get(f"/api/v1/recordings/{late.pk}/poster").status_code == 422
    time_machine.move_to(NOW + timedelta(hours=1, seconds=1), tick=False)
    assert client.get(f"/api/v1/recordings/{early.pk}/poster").status_code == 422
    assert "Doel van deze weergave" in client.get(f"/recordings/{early.pk}/").content.decode()


def test_bearer_clients_still_pass_the_purpose_as_a_parameter(lessons):
    from support.personas import login

    early, _ = lessons
    api = login("piet")
    assert api.get(f"/recordings/{early.pk}").status_code == 422
    assert api.get(f"/recordings/{early.pk}", purpose="verzoek-8").status_code == 200
    assert_audited("recording.view", actor="piet", object_id=early.pk, purpose="verzoek-8")


def test_a_session_purpose_is_not_used_by_a_bearer_token_call(lessons):
    early, _ = lessons
    client = web_login("piet")
    client.post(f"/recordings/{early.pk}/purpose/", {"purpose": "verzoek-7"})
    from support.personas import login

    token = login("piet").token
    response = client.get(
        f"/api/v1/recordings/{early.pk}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422


def test_other_roles_are_not_asked_for_a_purpose(lessons):
    early, _ = lessons
    html = web_login("tom").get(f"/recordings/{early.pk}/").content.decode()
    assert "Bekijk alleen voor begeleiding, opleiding en beoordeling" in html
    assert "Doel van deze weergave" not in html
