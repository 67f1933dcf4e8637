"""The institute admin's pages: schools, users, placements, guidelines, privacy statement.

Each form: its effect and audit event on success; the service's refusals shown in Dutch with
their status (409 duplicate, 422 invalid) and nothing written; every other role 403."""

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from classvault.consent.models import StatementVersion
from classvault.people import services
from classvault.people.models import (
    Enrolment,
    GuidelinesAcknowledgement,
    GuidelinesVersion,
    School,
    User,
)
from classvault.recordings.models import Recording
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, PASSWORD
from support.personas import web_login as web_login_with_factor

PAGES = [
    "/institute/schools/",
    "/institute/users/",
    "/institute/users/new/",
    "/institute/placements/",
    "/institute/placements/sanne/",
    "/institute/guidelines/",
    "/institute/privacy-statement/",
]
POSTS = {
    "/institute/schools/": {"code": "WEST", "name": "OBS West"},
    "/institute/users/new/": {
        "username": "nina",
        "role": "trainer",
        "full_name": "Nina",
        "password": PASSWORD,
    },
    "/institute/placements/sanne/": {
        "school": "NOORD",
        "study_end": "2027-01-31",
        "action": "save",
    },
    "/institute/guidelines/": {"version": "2027-1", "text": "# Nieuw"},
    "/institute/privacy-statement/": {"version": "2", "text": "# Nieuw"},
}
OTHER_ROLES = ["trainer", "student", "school_admin", "privacy", "supervisor"]


def web_login(username: str) -> Client:
    return web_login_with_factor(username)


@pytest.fixture
def admin(world) -> Client:
    return web_login("anna")


def page_text(response) -> str:
    return response.content.decode()


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", OTHER_ROLES)
def test_every_institute_page_refuses_every_other_role(world, persona):
    client = web_login(getattr(world, persona).username)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    with nothing_audited():
        for url, body in POSTS.items():
            assert client.post(url, body).status_code == 403, url
    assert not School.objects.filter(code="WEST").exists()
    assert not User.objects.filter(username="nina").exists()


def test_institute_pages_send_the_anonymous_to_the_login(db):
    for url in PAGES:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_every_institute_page_opens_for_the_institute_admin_in_dutch(admin):
    for url in PAGES + ["/"]:
        response = admin.get(url)
        assert response.status_code == 200, url
        assert "Instituutsbeheer" in page_text(response)


# --- schools ------------------------------------------------------------------------------


def test_admin_adds_a_school(admin):
    response = admin.post("/institute/schools/", {"code": " WEST ", "name": "OBS West"})
    assert response.status_code == 302
    school = School.objects.get(code="WEST")
    assert school.name == "OBS West"
    assert_audited("school.create", actor="anna", object_id=school.pk, code="WEST")
    page = page_text(admin.get(response["Location"]))
    assert "School OBS West (WEST) toegevoegd." in page and "3 scholen" in page


def test_duplicate_school_code_is_409_in_dutch(admin):
    with nothing_audited():
        response = admin.post("/institute/schools/", {"code": "NOORD", "name": "Nog een"})
    assert response.status_code == 409
    assert "Er bestaat al een school met code NOORD. Kies een andere code." in page_text(response)
    assert School.objects.get(code="NOORD").name == "OBS Noord"


def test_school_without_a_name_is_422_in_dutch(admin):
    with nothing_audited():
        response = admin.post("/institute/schools/", {"code": "WEST", "name": " "})
    assert response.status_code == 422
    assert "Een school heeft een code en een naam nodig." in page_text(response)
    assert 'role="alert"' in page_text(response)


# --- users --------------------------------------------------------------------------------


def listed(response) -> list[str]:
    return [u.username for u in response.context["page"].object_list]


def test_users_are_searched_by_name_or_username(admin):
    assert listed(admin.get("/institute/users/", {"q": "TRAINER"})) == ["tara", "tom"]
    assert listed(admin.get("/institute/users/", {"q": "sann"})) == ["sanne"]
    response = admin.get("/institute/users/", {"q": "niemand"})
    assert "Geen gebruiker gevonden" in page_text(response)


def test_users_are_filtered_by_role_and_school(admin):
    assert listed(admin.get("/institute/users/", {"role": "trainer"})) == ["tara", "tom", "uri"]
    assert listed(admin.get("/institute/users/", {"school": "NOORD"})) == ["mira", "saskia"]
    assert listed(admin.get("/institute/users/", {"role": "school_admin", "school": "ZUID"})) == [
        "zoe"
    ]


def test_unknown_filter_value_is_422(admin):
    assert admin.get("/institute/users/", {"role": "wizard"}).status_code == 422


def test_users_are_paged_and_keep_their_filters(admin):
    for i in range(30):
        services.user_create(
            actor=None,
            username=f"extra{i:02}",
            password=PASSWORD,
            role="trainer",
            full_name=f"Extra {i:02}",
            now=NOW,
        )
    first = admin.get("/institute/users/", {"role": "trainer"})
    assert len(listed(first)) == 25 and "Pagina 1 van 2" in page_text(first)
    assert "?role=trainer&amp;page=2" in page_text(first)
    second = admin.get("/institute/users/", {"role": "trainer", "page": 2})
    assert len(listed(second)) == 8  # 30 extra, Tara, Tom and Uri
    assert "33 gebruikers gevonden" in page_text(second)


def count_queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_user_list_takes_the_same_queries_however_many_users(admin):
    few = count_queries(admin, "/institute/users/", q="e")
    for i in range(20):
        services.user_create(
            actor=None,
            username=f"super{i:02}",
            password=PASSWORD,
            role="school_supervisor",
            full_name=f"Begeleider {i:02}",
            school_code="ZUID" if i % 2 else "NOORD",
            now=NOW,
        )
    assert count_queries(admin, "/institute/users/", q="e") == few
    assert few <= 8


def test_placements_and_home_take_the_same_queries_however_many_student_teachers(admin, world):
    placements, home = count_queries(admin, "/institute/placements/"), count_queries(admin, "/")
    for i in range(10):
        services.user_create(
            actor=None,
            username=f"st{i}",
            password=PASSWORD,
            role="student_teacher",
            full_name=f"Student {i}",
            now=NOW,
        )
        services.enrolment_set(
            actor=world.admin,
            username=f"st{i}",
            school_code="ZUID",
            study_end=date(2027, 7, 1),
            trainers=["tom"],
            supervisors=[],
            now=NOW,
        )
    assert count_queries(admin, "/institute/placements/") == placements
    assert count_queries(admin, "/") == home


def test_admin_adds_a_user_with_a_chosen_password(admin):
    response = admin.post(
        "/institute/users/new/",
        {
            "username": "nina",
            "full_name": "Nina Nieuw",
            "email": "nina@example.org",
            "role": "school_supervisor",
            "school": "ZUID",
            "password": "een-lang-wachtwoord-7",
        },
    )
    assert response.status_code == 201
    nina = User.objects.get(username="nina")
    assert (nina.role, nina.school.code, nina.email) == (
        "school_supervisor",
        "ZUID",
        "nina@example.org",
    )
    assert nina.check_password("een-lang-wachtwoord-7")
    assert "een-lang-wachtwoord-7" not in page_text(response)
    assert "Nina Nieuw kan nu inloggen als nina" in page_text(response)
    assert_audited(
        "user.create", actor="anna", object_id="nina", role="school_supervisor", school="ZUID"
    )


def test_a_generated_password_is_shown_once_and_works(admin):
    response = admin.post(
        "/institute/users/new/",
        {"username": "nina", "full_name": "Nina", "role": "student_teacher"},
    )
    assert response.status_code == 201
    password = response.context["password"]
    assert len(password) == 24 and password in page_text(response)
    assert "alleen nu getoond" in page_text(response)
    assert User.objects.get(username="nina").check_password(password)
    assert "/institute/placements/nina/" in page_text(response)  # next step: place her
    assert password not in page_text(admin.get("/institute/users/"))


@pytest.mark.parametrize(
    "body,status,message",
    [
        (
            {"username": "tom", "role": "trainer"},
            409,
            "De gebruikersnaam tom is al in gebruik. Kies een andere gebruikersnaam.",
        ),
        (
            {"username": "nina", "role": "school_admin"},
            422,
            "Voor de rol schooladministratie is een school nodig",
        ),
        (
            {"username": "nina", "role": "trainer", "email": "geen-adres"},
            422,
            "geen-adres is geen e-mailadres.",
        ),
        ({"username": " ", "role": "trainer"}, 422, "Een gebruikersnaam is verplicht."),
        (
            {"username": "nina", "role": "trainer", "password": "kort"},
            422,
            "Dit wachtwoord is te kort.",
        ),
        ({"username": "nina", "role": "wizard"}, 422, "Rol:"),
    ],
)
def test_refused_users_are_shown_in_dutch(admin, body, status, message):
    with nothing_audited():
        response = admin.post("/institute/users/new/", {"full_name": "Nina", **body})
    assert response.status_code == status
    assert message in page_text(response)
    assert not User.objects.filter(username="nina").exists()


# --- placements ---------------------------------------------------------------------------


def test_placements_list_every_student_teacher_with_her_placement(admin, world):
    services.user_create(
        actor=None,
        username="nieuw",
        password=PASSWORD,
        role="student_teacher",
        full_name="Nieuwe Student",
        now=NOW,
    )
    page = page_text(admin.get("/institute/placements/"))
    assert "Sanne Student" in page and "15 juli 2027" in page
    assert "Nieuwe Student" in page and "nog niet geplaatst" in page


def test_placement_form_shows_the_current_placement(admin):
    response = admin.get("/institute/placements/sanne/")
    form = response.context["form"]
    assert form.initial | {"trainers": sorted(form.initial["trainers"])} == {
        "school": "NOORD",
        "study_end": date(2027, 7, 15),
        "trainers": ["tara", "tom"],
        "supervisors": ["mira"],
    }
    assert 'type="date" name="study_end" value="2027-07-15"' in page_text(response)
    usernames = [value for value, _label in form.fields["trainers"].choices]
    assert usernames == ["tara", "tom", "uri"]  # trainers only
    supervisors = dict(form.fields["supervisors"].choices)
    assert set(supervisors) == {"mira", "otto"} and "CBS Zuid" in supervisors["otto"]


PLACE = {"school": "NOORD", "study_end": "2027-01-31", "trainers": ["tom"], "supervisors": ["mira"]}


def test_the_effect_of_a_study_end_is_shown_before_saving(admin, recording, frozen):
    with nothing_audited():
        response = admin.post("/institute/placements/sanne/", {**PLACE, "action": "preview"})
    assert response.status_code == 200
    assert response.context["effect"] == {
        "recordings": 1,
        "moved": 1,
        "earlier": 1,
        "later": 0,
        "expired": 0,
    }
    assert "Opslaan verschuift de vervaldatum van 1 opname (ze heeft er 1)." in page_text(response)
    assert "Er is nog niets opgeslagen." in page_text(response)
    assert Enrolment.objects.get(student_teacher__username="sanne").study_end == date(2027, 7, 15)


def test_a_study_end_in_the_past_warns_that_recordings_go(admin, recording, frozen):
    response = admin.post(
        "/institute/placements/sanne/", {**PLACE, "study_end": "2026-11-02", "action": "preview"}
    )
    assert response.context["effect"]["expired"] == 1
    assert "bij de volgende bewaarcontrole definitief verwijderd" in page_text(response)


def test_admin_saves_a_placement_and_learns_how_many_expiries_moved(admin, recording, frozen):
    response = admin.post("/institute/placements/sanne/", {**PLACE, "action": "save"}, follow=True)
    assert response.redirect_chain[-1][0] == "/institute/placements/"
    enrolment = Enrolment.objects.get(student_teacher__username="sanne")
    assert enrolment.study_end == date(2027, 1, 31)
    assert [u.username for u in enrolment.trainers.all()] == ["tom"]
    assert_audited(
        "enrolment.set",
        actor="anna",
        object_id="sanne",
        study_end="2027-01-31",
        trainers=["tom"],
        supervisors=["mira"],
    )
    assert_audited("recording.expiry_change", actor="anna", object_id=recording.pk)
    recording = Recording.objects.get(pk=recording.pk)
    assert recording.expires_at.date() == date(2027, 1, 31)
    assert (
        "De stageplaats van Sanne Student is opgeslagen. De vervaldatum van 1 van haar "
        "opnamen is verschoven."
    ) in page_text(response)


def test_admin_places_a_new_student_teacher(admin, world):
    services.user_create(
        actor=None,
        username="nieuw",
        password=PASSWORD,
        role="student_teacher",
        full_name="Nieuwe Student",
        now=NOW,
    )
    response = admin.post(
        "/institute/placements/nieuw/",
        {
            "school": "ZUID",
            "study_end": "2027-06-30",
            "trainers": ["uri"],
            "supervisors": ["otto"],
            "action": "save",
        },
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(student_teacher__username="nieuw")
    assert (enrolment.school.code, enrolment.study_end) == ("ZUID", date(2027, 6, 30))
    assert_audited("enrolment.set", actor="anna", object_id="nieuw", school="ZUID")


def test_a_supervisor_of_another_school_is_refused_in_dutch(admin):
    with nothing_audited():
        response = admin.post(
            "/institute/placements/sanne/",
            {**PLACE, "supervisors": ["mira", "otto"], "action": "save"},
        )
    assert response.status_code == 422
    assert (
        "Deze begeleiders werken op een andere school dan OBS Noord: otto. Kies "
        "begeleiders van die school."
    ) in page_text(response)
    assert response.context["effect"] is None
    enrolment = Enrolment.objects.get(student_teacher__username="sanne")
    assert enrolment.study_end == date(2027, 7, 15)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"study_end": "2027-02-30"}, "Einde studie"),
        ({"study_end": ""}, "Einde studie"),
        ({"school": "NERGENS"}, "School"),
        ({"trainers": ["mira"]}, "Opleiders"),  # not a trainer: not offered, refused
    ],
)
def test_invalid_placements_are_422(admin, change, field):
    with nothing_audited():
        response = admin.post("/institute/placements/sanne/", {**PLACE, **change, "action": "save"})
    assert response.status_code == 422
    assert f"{field}:" in page_text(response)


@pytest.mark.parametrize("username", ["niemand", "tom"])
def test_placing_someone_who_is_no_student_teacher_is_404(admin, username):
    assert admin.get(f"/institute/placements/{username}/").status_code == 404


# --- guidelines ---------------------------------------------------------------------------


def test_guidelines_page_counts_who_accepted_the_current_version(admin, world):
    services.guidelines_acknowledge(actor=world.student, now=NOW)
    page = page_text(admin.get("/institute/guidelines/"))
    assert "1 van 2 leraren-in-opleiding hebben deze geaccepteerd." in page


def test_admin_publishes_guidelines_and_everyone_must_accept_again(admin, world):
    services.guidelines_acknowledge(actor=world.student, now=NOW)
    response = admin.post(
        "/institute/guidelines/",
        {"version": "2027-1", "text": "# Nieuw\n\nNeem zo op."},
        follow=True,
    )
    current = GuidelinesVersion.objects.first()
    assert (current.version, current.text, current.published_by) == (
        "2027-1",
        "# Nieuw\n\nNeem zo op.",
        world.admin,
    )
    assert_audited("guidelines.publish", actor="anna", version="2027-1")
    page = page_text(response)
    assert "Versie 2027-1 van de richtlijnen is gepubliceerd." in page
    assert "0 van 2 leraren-in-opleiding hebben deze geaccepteerd." in page
    assert not GuidelinesAcknowledgement.objects.filter(version=current).exists()


@pytest.mark.parametrize(
    "body,status,message",
    [
        (
            {"version": "2026-1", "text": "x"},
            409,
            "Versie 2026-1 van de richtlijnen bestaat al. Kies een nieuwe versie.",
        ),
        ({"version": "", "text": "x"}, 422, "Richtlijnen hebben een versie en een tekst nodig."),
        (
            {"version": "2027-1", "text": "  "},
            422,
            "Richtlijnen hebben een versie en een tekst nodig.",
        ),
    ],
)
def test_refused_guidelines_are_shown_in_dutch(admin, body, status, message):
    with nothing_audited():
        response = admin.post("/institute/guidelines/", body)
    assert response.status_code == status
    assert message in page_text(response)
    assert GuidelinesVersion.objects.count() == 1


# --- privacy statement --------------------------------------------------------------------


def statement_body(**overrides) -> dict[str, str]:
    body = {
        "version": "2",
        "text": "# Privacyverklaring\n\nNieuw.",
        "privacy_officer_name": "Privacy officer",
        "privacy_officer_email": "po@example.org",
        "data_protection_officer_name": "FG",
        "data_protection_officer_email": "fg@example.org",
        "supervisory_authority_name": "Autoriteit Persoonsgegevens",
        "supervisory_authority_website": "https://autoriteitpersoonsgegevens.nl",
        "supervisory_authority_phone": "088 - 1805 250",
    }
    return body | overrides


def test_the_form_starts_from_the_current_statement(admin):
    form = admin.get("/institute/privacy-statement/").context["form"]
    current = StatementVersion.objects.first()
    assert form.initial["text"] == current.text
    assert (
        form.initial["supervisory_authority_website"] == "https://www.autoriteitpersoonsgegevens.nl"
    )


def test_admin_publishes_a_privacy_statement_version(admin, world):
    response = admin.post("/institute/privacy-statement/", statement_body(), follow=True)
    current = StatementVersion.objects.first()
    assert current.version == "2" and current.published_by == world.admin
    assert {c["kind"]: c["email"] or c["website"] for c in current.contacts} == {
        "privacy_officer": "po@example.org",
        "data_protection_officer": "fg@example.org",
        "supervisory_authority": "https://autoriteitpersoonsgegevens.nl",
    }
    assert_audited("privacy_statement.publish", actor="anna", object_id="2")
    page = page_text(response)
    assert "Versie 2 van de privacyverklaring is gepubliceerd en geldt vanaf vandaag." in page
    assert 'href="/privacy/versions/1"' in page and 'href="/privacy/versions/2"' in page


@pytest.mark.parametrize(
    "overrides,status,message",
    [
        ({"version": "1"}, 409, "Versie 1 van de privacyverklaring bestaat al."),
        (
            {"supervisory_authority_website": "javascript:alert(1)"},
            422,
            "De website van contactpersoon Autoriteit Persoonsgegevens moet een "
            "https://-adres zijn",
        ),
        (
            {"supervisory_authority_website": "http://autoriteitpersoonsgegevens.nl"},
            422,
            "moet een https://-adres zijn",
        ),
        ({"privacy_officer_email": "geen-adres"}, 422, "Privacy officer is niet geldig"),
        (
            {"data_protection_officer_name": "", "data_protection_officer_email": ""},
            422,
            "De verklaring moet ook deze contacten noemen: Functionaris gegevensbescherming.",
        ),
        ({"data_protection_officer_name": ""}, 422, "Elk contact heeft een soort"),
        ({"text": ""}, 422, "Een privacyverklaring heeft een versie en een tekst nodig."),
    ],
)
def test_refused_statements_are_shown_in_dutch(admin, overrides, status, message):
    with nothing_audited():
        response = admin.post("/institute/privacy-statement/", statement_body(**overrides))
    assert response.status_code == status
    assert message in page_text(response)
    assert StatementVersion.objects.count() == 1


def test_a_mailto_website_is_accepted(admin):
    body = statement_body(privacy_officer_website="mailto:po@example.org")
    assert admin.post("/institute/privacy-statement/", body).status_code == 302


# --- home ---------------------------------------------------------------------------------


def test_home_shows_counts_study_ends_and_links(admin):
    page = page_text(admin.get("/"))
    assert "<strong>2</strong> van 2 leraren-in-opleiding geplaatst" in page
    assert "Richtlijnen 2026-1: geaccepteerd door 0 van 2 leraren-in-opleiding" in page
    for url in PAGES[:2] + PAGES[3:]:
        if url != "/institute/users/new/":
            assert f'href="{url}"' in page
    assert 'href="/institute/placements/sanne/"' in page
