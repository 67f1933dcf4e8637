"""POST /pupils/import: preview, then apply all or nothing; idempotent; audited."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from classvault.audit.models import AuditEvent
from classvault.consent.models import Pupil
from support.personas import Api
from support.pupils import add

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")

ROSTER = (
    "leerlingnummer;roepnaam;tussenvoegsel;achternaam;geboortedatum;klas\n"
    "1001;Ada;;Aap;10-03-2014;5A\n"
    "1002;Bram;de;Beer;20-05-2013;5A\n"
    "1003;Cas;;Cavia;2012-09-01;6B\n"
)


def upload(api: Api, content: bytes | str, *, school="NOORD", apply=False, name="roster.csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return api.client.post(
        f"/api/v1/pupils/import?school={school}&apply={'true' if apply else 'false'}",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
        headers=api._headers(),
    )


def test_preview_says_what_will_change_and_writes_nothing(world):
    add(world.school_admin, "1002", "Bram Beer", date(2013, 5, 20), "4A")
    add(world.school_admin, "1003", "Cas Cavia", date(2012, 9, 1), "6B")
    add(world.school_admin, "0999", "Oud Leerling", date(2010, 1, 1), "8")
    response = upload(world.api(world.school_admin), ROSTER)
    assert response.status_code == 200
    body = response.json()
    assert body["applied"] is False and body["delimiter"] == ";"
    assert body["summary"] == {"create": 1, "update": 1, "unchanged": 1, "errors": 0}
    actions = {r["external_id"]: r for r in body["rows"]}
    assert actions["1001"]["action"] == "create" and actions["1001"]["id"] is None
    assert actions["1002"]["action"] == "update"
    assert actions["1002"]["changes"] == {
        "full_name": {"old": "Bram Beer", "new": "Bram de Beer"},
        "group": {"old": "4A", "new": "5A"},
    }
    assert actions["1003"]["action"] == "unchanged" and actions["1003"]["line"] == 4
    assert [p["external_id"] for p in body["not_in_file"]] == ["0999"]
    assert Pupil.objects.count() == 3
    assert not Pupil.objects.filter(external_id="1001").exists()
    assert not AuditEvent.objects.filter(action="pupil.import").exists()


def test_apply_creates_and_updates_and_is_audited(world):
    response = upload(world.api(world.school_admin), ROSTER, apply=True)
    assert response.status_code == 200
    body = response.json()
    assert body["applied"] is True and body["summary"]["create"] == 3
    assert all(r["id"] for r in body["rows"])
    bram = Pupil.objects.get(external_id="1002")
    assert bram.full_name == "Bram de Beer" and bram.school.code == "NOORD"
    event = AuditEvent.objects.get(action="pupil.import")
    assert event.actor == "saskia" and event.object_id == "NOORD"
    assert event.data["create"] == 3
    assert AuditEvent.objects.filter(action="pupil.create", object_id=str(bram.pk)).exists()
    assert "Bram" not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_applying_the_same_file_twice_changes_nothing_the_second_time(world):
    api = world.api(world.school_admin)
    upload(api, ROSTER, apply=True)
    before = list(Pupil.objects.order_by("external_id").values())
    body = upload(api, ROSTER, apply=True).json()
    assert body["summary"] == {"create": 0, "update": 0, "unchanged": 3, "errors": 0}
    assert list(Pupil.objects.order_by("external_id").values()) == before
    assert AuditEvent.objects.filter(action="pupil.update").count() == 0


def test_an_update_is_audited_by_field_names_only(world):
    api = world.api(world.school_admin)
    upload(api, ROSTER, apply=True)
    upload(api, ROSTER.replace("Cavia", "Konijn"), apply=True)
    event = AuditEvent.objects.get(action="pupil.update")
    assert event.data == {"fields": ["full_name"], "via": "import"}
    assert Pupil.objects.get(external_id="1003").full_name == "Cas Konijn"


def test_one_bad_row_and_nothing_is_imported(world):
    bad = ROSTER + "1004;Dewi;;Das;31-02-2013;6B\n1001;Ada;;Dubbel;10-03-2014;5A\n"
    response = upload(world.api(world.school_admin), bad, apply=True)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    assert [e["line"] for e in body["errors"]] == [5, 6]
    assert not Pupil.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="pupil.").exists()


def test_preview_lists_row_errors_without_failing(world):
    response = upload(world.api(world.school_admin), ROSTER + ";;;;;\n1005;X;;Y;morgen;5A\n")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"]["errors"] == 1 and body["errors"][0]["line"] == 6


@pytest.mark.parametrize(
    "encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")]
)
@pytest.mark.parametrize("delimiter", [";", ","])
def test_encodings_and_delimiters(world, encoding, bom, delimiter):
    text = ROSTER.replace(";", delimiter).replace("Ada", "Anaïs")
    response = upload(world.api(world.school_admin), bom + text.encode(encoding), apply=True)
    assert response.status_code == 200, response.content
    assert response.json()["delimiter"] == delimiter
    assert Pupil.objects.get(external_id="1001").full_name == "Anaïs Aap"


def test_import_requires_authentication(world):
    assert upload(Api(), ROSTER).status_code == 401


@pytest.mark.parametrize("persona", ["admin", "privacy", "student", "trainer", "supervisor"])
def test_other_roles_may_not_import(world, persona):
    assert upload(world.api(getattr(world, persona)), ROSTER, apply=True).status_code == 403
    assert not Pupil.objects.exists()


def test_school_admin_of_another_school_may_not_import_here(world):
    response = upload(world.api(world.other_school_admin), ROSTER, apply=True)
    assert response.status_code == 403
    assert not Pupil.objects.exists()


def test_unknown_school_is_422(world):
    assert upload(world.api(world.school_admin), ROSTER, school="NOWHERE").status_code == 422


def test_unreadable_file_is_422(world):
    response = upload(world.api(world.school_admin), b"foo;bar\n1;2\n", apply=True)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_missing_file_is_422(world):
    api = world.api(world.school_admin)
    response = api.client.post("/api/v1/pupils/import?school=NOORD", {}, headers=api._headers())
    assert response.status_code == 422
