"""The school admin's and the privacy officer's pupil pages: add, consent form, withdrawal,
roster import and the consent register (HTML forms posting to views)."""

from datetime import date

import pytest
from django.test import Client

from classvault.consent.models import ConsentRecord, Pupil
from support.audit import assert_audited, nothing_audited

pytestmark = pytest.mark.usefixtures("at_now")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def consent_post(**overrides) -> dict:
    body = {
        "recording": "on",
        "peer_viewing": "on",
        "given_by": "guardian",
        "signer_name": "Carla Cavia",
        "signed_on": "2026-10-30",
        "received_how": "paper_form",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def withdraw_post(**overrides) -> dict:
    body = {
        "scope": "all",
        "by": "guardian",
        "signer_name": "Gerda Guardian",
        "verified_in_person": "on",
        "on": "2026-11-01",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


# --- adding a pupil ----------------------------------------------------------------------


def test_school_admin_adds_a_pupil(world):
    client = client_for(world.school_admin)
    assert "Leerling toevoegen" in client.get("/consent/pupils/new/").content.decode()
    response = client.post(
        "/consent/pupils/new/",
        {
            "external_id": "3001",
            "full_name": "Noor Nieuw",
            "date_of_birth": "2015-04-01",
            "group": "4C",
        },
    )
    pupil = Pupil.objects.get(external_id="3001")
    assert response.status_code == 302 and response["Location"] == f"/consent/pupils/{pupil.pk}/"
    assert pupil.school == world.north and not pupil.recording_consent
    assert_audited("pupil.create", actor="saskia", object_id=pupil.pk, school="NOORD")
    page = client.get(response["Location"]).content.decode()
    assert "Noor Nieuw is aan de leerlingenlijst toegevoegd." in page


def test_adding_a_pupil_with_a_taken_number_is_409_and_says_so(world, pupils):
    with nothing_audited():
        response = client_for(world.school_admin).post(
            "/consent/pupils/new/",
            {
                "external_id": "1001",
                "full_name": "Dubbel",
                "date_of_birth": "2015-04-01",
                "group": "4C",
            },
        )
    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()


def test_adding_a_pupil_without_a_name_is_422(world):
    with nothing_audited():
        response = client_for(world.school_admin).post(
            "/consent/pupils/new/",
            {"external_id": "3001", "date_of_birth": "2015-04-01", "group": "4C"},
        )
    assert response.status_code == 422


@pytest.mark.parametrize("persona", ["privacy", "student", "trainer", "admin"])
def test_other_roles_may_not_add_pupils(world, persona):
    client = client_for(getattr(world, persona))
    assert client.get("/consent/pupils/new/").status_code == 403
    with nothing_audited():
        assert (
            client.post(
                "/consent/pupils/new/",
                {
                    "external_id": "3001",
                    "full_name": "X",
                    "date_of_birth": "2015-04-01",
                    "group": "4C",
                },
            ).status_code
            == 403
        )


# --- registering a consent form ----------------------------------------------------------


def test_consent_form_page_says_who_must_sign(world, pupils):
    html = (
        client_for(world.school_admin)
        .get(f"/consent/pupils/{pupils.cas.pk}/consent/")
        .content.decode()
    )
    assert "wordt 16 op 1 september 2028" in html
    assert 'data-sixteen-on="2028-09-01"' in html
    assert "een ouder of verzorger moet tekenen" in html
    assert "/static/classvault/officer.js" in html


def test_school_admin_registers_a_consent_form(world, pupils):
    client = client_for(world.school_admin)
    response = client.post(f"/consent/pupils/{pupils.cas.pk}/consent/", consent_post())
    assert response.status_code == 302
    pupils.cas.refresh_from_db()
    assert pupils.cas.recording_consent and pupils.cas.peer_viewing_consent
    record = ConsentRecord.objects.get(pupil=pupils.cas)
    assert record.signer_name == "Carla Cavia" and record.signed_on == date(2026, 10, 30)
    assert_audited(
        "consent.give",
        actor="saskia",
        object_id=pupils.cas.pk,
        given_by="guardian",
        recording=True,
        peer_viewing=True,
    )
    html = client.get(response["Location"]).content.decode()
    assert "Het toestemmingsformulier van Cas Cavia is geregistreerd." in html
    assert "Carla Cavia" in html  # the history names who signed


def test_a_pupil_under_16_cannot_sign_personally_422(world, pupils):
    with nothing_audited():
        response = client_for(world.school_admin).post(
            f"/consent/pupils/{pupils.cas.pk}/consent/", consent_post(given_by="pupil")
        )
    assert response.status_code == 422
    assert "onder de 16 moet een ouder of verzorger ondertekenen" in response.content.decode()
    pupils.cas.refresh_from_db()
    assert not pupils.cas.recording_consent


def test_a_pupil_of_16_signs_personally_a_guardian_is_refused_422(world, pupils):
    with nothing_audited():
        response = client_for(world.school_admin).post(
            f"/consent/pupils/{pupils.dewi.pk}/withdraw/", withdraw_post(by="guardian")
        )
    assert response.status_code == 422


def test_consent_form_of_another_schools_pupil_is_404(world, pupils):
    client = client_for(world.school_admin)
    assert client.get(f"/consent/pupils/{pupils.eva.pk}/consent/").status_code == 404
    assert client.get(f"/consent/pupils/{pupils.eva.pk}/").status_code == 404
    with nothing_audited():
        assert (
            client.post(f"/consent/pupils/{pupils.eva.pk}/consent/", consent_post()).status_code
            == 404
        )


def test_privacy_officer_cannot_register_a_consent_form_403(world, pupils):
    client = client_for(world.privacy)
    assert client.get(f"/consent/pupils/{pupils.cas.pk}/consent/").status_code == 403
    with nothing_audited():
        assert (
            client.post(f"/consent/pupils/{pupils.cas.pk}/consent/", consent_post()).status_code
            == 403
        )
    # ...and is not offered the button on the pupil's page.
    html = client.get(f"/consent/pupils/{pupils.cas.pk}/").content.decode()
    assert '/consent/"' not in html and "Toestemmingsformulier registreren" not in html


def test_a_student_teacher_may_not_open_a_pupils_page(world, pupils):
    assert client_for(world.student).get(f"/consent/pupils/{pupils.ada.pk}/").status_code == 403


# --- registering a withdrawal ------------------------------------------------------------


def test_school_admin_registers_a_withdrawal(world, pupils):
    response = client_for(world.school_admin).post(
        f"/consent/pupils/{pupils.ada.pk}/withdraw/", withdraw_post()
    )
    assert response.status_code == 302
    pupils.ada.refresh_from_db()
    assert not pupils.ada.recording_consent and not pupils.ada.peer_viewing_consent
    assert_audited("consent.withdraw", actor="saskia", object_id=pupils.ada.pk, scope="all")


def test_privacy_officer_registers_a_withdrawal_for_any_schools_pupil(world, pupils):
    client = client_for(world.privacy)
    assert (
        "Intrekking registreren" in client.get(f"/consent/pupils/{pupils.eva.pk}/").content.decode()
    )
    response = client.post(
        f"/consent/pupils/{pupils.eva.pk}/withdraw/", withdraw_post(scope="peer_viewing")
    )
    assert response.status_code == 302
    pupils.eva.refresh_from_db()
    assert pupils.eva.recording_consent and not pupils.eva.peer_viewing_consent
    assert_audited("consent.withdraw", actor="piet", object_id=pupils.eva.pk, scope="peer_viewing")


def test_withdrawal_not_verified_in_person_is_422(world, pupils):
    with nothing_audited():
        response = client_for(world.school_admin).post(
            f"/consent/pupils/{pupils.ada.pk}/withdraw/", withdraw_post(verified_in_person=None)
        )
    assert response.status_code == 422
    assert "persoonlijk" in response.content.decode()
    pupils.ada.refresh_from_db()
    assert pupils.ada.recording_consent


def test_withdrawal_for_another_schools_pupil_is_404(world, pupils):
    with nothing_audited():
        assert (
            client_for(world.school_admin)
            .post(f"/consent/pupils/{pupils.eva.pk}/withdraw/", withdraw_post())
            .status_code
            == 404
        )


@pytest.mark.parametrize("persona", ["student", "trainer", "supervisor", "admin"])
def test_other_roles_may_not_register_withdrawals(world, pupils, persona):
    with nothing_audited():
        assert (
            client_for(getattr(world, persona))
            .post(f"/consent/pupils/{pupils.ada.pk}/withdraw/", withdraw_post())
            .status_code
            == 403
        )


# --- the roster import -------------------------------------------------------------------

ROSTER = (
    b"leerlingnummer;roepnaam;tussenvoegsel;achternaam;geboortedatum;klas\n"
    b"4001;Fleur;van;Dijk;12-05-2015;4C\n"
    b"4002;Gijs;;Groen;03-02-2015;4C\n"
)


def upload(name="export.csv", data=ROSTER):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_roster_import_previews_then_applies(world):
    client = client_for(world.school_admin)
    with nothing_audited():
        preview = client.post("/consent/pupils/import/", {"file": upload()})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Voorbeeld: er is nog niets geïmporteerd" in html
    assert "Fleur van Dijk" in html and "2 toe te voegen" in html
    assert not Pupil.objects.filter(external_id="4001").exists()
    carried = html.split('name="data" value="')[1].split('"')[0]
    response = client.post("/consent/pupils/import/", {"data": carried, "apply": "1"})
    assert response.status_code == 302
    assert set(Pupil.objects.filter(school=world.north).values_list("external_id", flat=True)) == {
        "4001",
        "4002",
    }
    assert_audited("pupil.import", actor="saskia", object_id="NOORD", create=2)
    assert (
        "De leerlingenlijst is geïmporteerd: 2 toegevoegd"
        in client.get(response["Location"]).content.decode()
    )


def test_roster_import_preview_lists_row_errors_and_offers_no_import(world):
    data = ROSTER + b"4003;Hans;;Hof;31-02-2015;4C\n"
    response = client_for(world.school_admin).post(
        "/consent/pupils/import/", {"file": upload(data=data)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Regel 4:" in html and 'name="data"' not in html


def test_roster_import_of_a_spreadsheet_is_422(world):
    response = client_for(world.school_admin).post(
        "/consent/pupils/import/", {"file": upload("x.xlsx", b"PK\x03\x04rest")}
    )
    assert response.status_code == 422
    assert "CSV" in response.content.decode()


def test_roster_import_is_for_the_school_admin_only(world):
    assert client_for(world.privacy).get("/consent/pupils/import/").status_code == 403


# --- the register (school admin's home) and the privacy officer's roster ------------------


def test_school_admin_home_is_the_consent_register(world, pupils, django_assert_max_num_queries):
    client = client_for(world.school_admin)
    with django_assert_max_num_queries(12):
        html = client.get("/").content.decode()
    assert "Toestemmingsregister" in html
    # 6B: Cas has no consent at all; 5A: Bram may be recorded but not shown.
    assert "Cas Cavia" in html and "Bram Beer" in html
    assert "/consent/forms/?group=6B&amp;missing=1" in html


def test_missing_forms_print_only_the_pupils_lacking_consent(world, pupils):
    html = (
        client_for(world.school_admin)
        .get("/consent/forms/", {"group": "5A", "missing": "1"})
        .content.decode()
    )
    assert "Bram Beer" in html and "Ada Aap" not in html


def test_privacy_officer_picks_a_school_then_sees_its_pupils(world, pupils):
    client = client_for(world.privacy)
    html = client.get("/consent/pupils/").content.decode()
    assert 'name="school"' in html and "CBS Zuid" in html
    html = client.get("/consent/pupils/", {"school": "ZUID"}).content.decode()
    assert "Eva Egel" in html and f"/consent/pupils/{pupils.eva.pk}/" in html
