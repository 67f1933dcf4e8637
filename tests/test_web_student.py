"""The student teacher's and her supervisor's pages: managing a recording (share, unshare,
screenings, delete), the "who has access" panel, the work queues, the consent register.

Every action goes through the service the API calls; refusals are tested for a trainer it
is not shared with, a supervisor at another school and a fellow student, and write nothing.
"""

from datetime import timedelta

import pytest
from django.test import Client

from classvault.people.models import Role
from classvault.people.services import user_create
from classvault.recordings.models import Comment, Recording
from classvault.retention.services import legal_hold_place
from classvault.sharing.models import Screening, ScreeningMode, Share
from classvault.sharing.screenings import screening_cancel
from classvault.sharing.services import share_grant
from support.audit import assert_audited, nothing_audited
from support.personas import NOW, PASSWORD, TODAY
from support.personas import web_login as web_login_with_factor
from support.recordings import make_recording


def web_login(username: str) -> Client:
    return web_login_with_factor(username)


@pytest.fixture
def lesson(world, pupils, vault_home, frozen):
    """Sanne's ready lesson with Ada (full consent) present, shared with her trainer Tom."""
    world.pupils = pupils
    recording = make_recording(
        world.student, recorded_at=NOW, title="Breuken met pizza", pupils=[world.pupils.ada]
    )
    share_grant(actor=world.student, recording=recording, username="tom", now=NOW)
    return recording


def _url(recording, tail=""):
    return f"/recordings/{recording.pk}/{tail}"


# --- the access panel ----------------------------------------------------------------------


def test_owner_sees_everyone_with_access_and_why(lesson):
    html = web_login("sanne").get(_url(lesson)).content.decode()
    assert "Gedeeld met:" not in html and "niemand" not in html
    for name, why in (
        ("Sanne Student", "de leraar-in-opleiding die de les opnam"),
        ("Mira Mentor", "begeleider op de school waar de les is opgenomen"),
        ("Tom Trainer", "opleider: met hen gedeeld"),
        ("Piet Privacy", "privacyfunctionaris: alleen voor verzoeken"),
    ):
        assert name in html and why in html
    assert "Stop met delen met Tom Trainer" in html
    # The share form offers exactly her trainers not yet shared with.
    assert '<option value="tara">' in html
    assert 'value="uri"' not in html and '<option value="tom">' not in html
    assert "Uw eigen feedback op deze opname is uw reflectie" in html


def test_supervisor_sees_the_panel_with_the_forms(lesson):
    html = web_login("mira").get(_url(lesson)).content.decode()
    assert "Tom Trainer" in html and "Stop met delen met Tom Trainer" in html
    assert "Vertoning plannen" in html and "definitief verwijderen" in html
    assert "uw reflectie" not in html


def test_shared_trainer_sees_who_has_access_but_no_forms(lesson):
    html = web_login("tom").get(_url(lesson)).content.decode()
    assert "Mira Mentor" in html and "Piet Privacy" in html
    assert "Stop met delen" not in html and "Vertoning plannen" not in html


def test_fellow_in_a_running_screening_sees_only_her_own_window(lesson, world):
    screening = Screening.objects.create(
        recording=lesson,
        mode=ScreeningMode.ONLINE,
        starts_at=TODAY - timedelta(minutes=5),
        ends_at=TODAY + timedelta(hours=1),
        scheduled_by=world.student,
        scheduled_at=NOW,
    )
    screening.attendees.set([world.fellow])
    html = web_login("femke").get(_url(lesson)).content.decode()
    assert "U mag deze opname bekijken tijdens een online vertoning" in html
    assert "Mira Mentor" not in html and "Vertoning plannen" not in html
    # Her access shows in the owner's panel, with the window.
    owner = web_login("sanne").get(_url(lesson)).content.decode()
    assert "Femke Fellow" in owner and "medestudent in een online vertoning, tot" in owner


# --- share and unshare ---------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["sanne", "mira"])
def test_owner_and_custodian_share_with_her_trainer(lesson, actor):
    client = web_login(actor)
    response = client.post(_url(lesson, "shares/"), {"username": "tara"})
    assert response.status_code == 302 and response["Location"] == _url(lesson)
    assert Share.objects.filter(recording=lesson, user__username="tara").exists()
    assert_audited("recording.share", actor=actor, object_id=lesson.pk, **{"with": "tara"})
    html = client.get(_url(lesson)).content.decode()
    assert "De opname is nu gedeeld." in html and "Stop met delen met Tara Trainer" in html


def test_sharing_with_someone_not_hers_is_refused_on_the_page(lesson):
    client = web_login("sanne")
    with nothing_audited():
        response = client.post(_url(lesson, "shares/"), {"username": "uri"})
    assert response.status_code == 302
    assert not Share.objects.filter(recording=lesson, user__username="uri").exists()
    html = client.get(_url(lesson)).content.decode()
    assert "uri is niet een van de eigen opleiders" in html


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("tom", 403),  # shared with her: watches and comments, does not manage
        ("tara", 404),  # her trainer, not shared with
        ("uri", 404),  # a trainer of nobody
        ("otto", 404),  # a supervisor at another school
        ("femke", 404),  # a fellow student
    ],
)
def test_those_who_do_not_manage_cannot_share_or_unshare(lesson, actor, status):
    client = web_login(actor)
    with nothing_audited():
        assert client.post(_url(lesson, "shares/"), {"username": "tara"}).status_code == status
        assert (
            client.post(_url(lesson, "shares/remove/"), {"username": "tom"}).status_code == status
        )
    assert list(
        Share.objects.filter(recording=lesson).values_list("user__username", flat=True)
    ) == ["tom"]


def test_owner_unshares(lesson):
    client = web_login("sanne")
    response = client.post(_url(lesson, "shares/remove/"), {"username": "tom"})
    assert response.status_code == 302
    assert not Share.objects.filter(recording=lesson).exists()
    assert_audited("recording.unshare", actor="sanne", object_id=lesson.pk, **{"with": "tom"})
    html = client.get(_url(lesson)).content.decode()
    assert "De opname is niet langer gedeeld met deze persoon." in html
    assert "Stop met delen met Tom Trainer" not in html
    assert web_login("tom").get(_url(lesson)).status_code == 404


# --- screenings ----------------------------------------------------------------------------


def _screening_form(start, hours=1, mode="online", attendees=("femke",)):
    fmt = "%Y-%m-%dT%H:%M"
    local = start.astimezone(NOW.tzinfo)
    return {
        "mode": mode,
        "starts_at": local.strftime(fmt),
        "ends_at": (local + timedelta(hours=hours)).strftime(fmt),
        "attendees": list(attendees),
    }


def test_owner_plans_an_online_screening(lesson, world):
    client = web_login("sanne")
    page = client.get(_url(lesson, "screenings/new/")).content.decode()
    assert 'value="femke"' in page and 'value="sanne"' not in page
    response = client.post(
        _url(lesson, "screenings/new/"), _screening_form(TODAY + timedelta(days=1))
    )
    assert response.status_code == 302, response.content.decode()
    screening = Screening.objects.get(recording=lesson)
    assert screening.mode == "online" and list(screening.attendees.all()) == [world.fellow]
    assert screening.ends_at - screening.starts_at == timedelta(hours=1)
    assert_audited("screening.schedule", actor="sanne", object_id=lesson.pk)
    html = client.get(_url(lesson)).content.decode()
    assert "De vertoning is gepland." in html and "Femke Fellow" in html
    assert "daarvoor geen toegang" in html


def test_a_screening_longer_than_allowed_is_refused_with_the_limit(lesson):
    client = web_login("sanne")
    with nothing_audited():
        response = client.post(
            _url(lesson, "screenings/new/"), _screening_form(TODAY + timedelta(days=1), hours=5)
        )
    assert response.status_code == 422
    assert "hooguit 4 uur" in response.content.decode()
    assert not Screening.objects.exists()


def test_a_pupil_without_peer_consent_blocks_the_screening_and_the_owner_sees_who(world, lesson):
    bram_in_it = make_recording(
        world.student, recorded_at=NOW, title="Gymles", pupils=[world.pupils.ada, world.pupils.bram]
    )
    for actor in ("sanne", "mira"):
        client = web_login(actor)
        with nothing_audited():
            response = client.post(
                _url(bram_in_it, "screenings/new/"), _screening_form(TODAY + timedelta(days=1))
            )
        assert response.status_code == 409
        html = response.content.decode()
        assert "Niet elke leerling in deze opname" in html or "toestemming" in html
        assert "Bram Beer" in html and "Ada Aap" not in html
    assert not Screening.objects.exists()


@pytest.mark.parametrize(
    ("actor", "status"), [("tom", 403), ("tara", 404), ("otto", 404), ("femke", 404)]
)
def test_those_who_do_not_manage_get_no_screening_form(lesson, actor, status):
    client = web_login(actor)
    assert client.get(_url(lesson, "screenings/new/")).status_code == status
    with nothing_audited():
        assert (
            client.post(
                _url(lesson, "screenings/new/"), _screening_form(TODAY + timedelta(days=1))
            ).status_code
            == status
        )


def _planned(lesson, world, start):
    screening = Screening.objects.create(
        recording=lesson,
        mode=ScreeningMode.ONLINE,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        scheduled_by=world.student,
        scheduled_at=NOW,
    )
    screening.attendees.set([world.fellow])
    return screening


def test_owner_cancels_a_screening_and_the_fellow_loses_access(lesson, world):
    screening = _planned(lesson, world, TODAY - timedelta(minutes=5))
    assert web_login("femke").get(_url(lesson)).status_code == 200
    client = web_login("sanne")
    response = client.post(_url(lesson, f"screenings/{screening.pk}/cancel/"))
    assert response.status_code == 302
    screening.refresh_from_db()
    assert screening.cancelled_at is not None
    assert_audited(
        "screening.cancel", actor="sanne", object_id=lesson.pk, screening=str(screening.pk)
    )
    assert "De vertoning is afgezegd." in client.get(_url(lesson)).content.decode()
    assert web_login("femke").get(_url(lesson)).status_code == 404


@pytest.mark.parametrize(("actor", "status"), [("tara", 404), ("otto", 404), ("femke", 403)])
def test_those_who_may_not_cancel_a_screening_are_refused(lesson, world, actor, status):
    screening = _planned(lesson, world, TODAY - timedelta(minutes=5))
    client = web_login(actor)
    with nothing_audited():
        response = client.post(_url(lesson, f"screenings/{screening.pk}/cancel/"))
    assert response.status_code == status
    screening.refresh_from_db()
    assert screening.cancelled_at is None


def test_cancelling_twice_or_after_the_end_is_a_conflict(lesson, world):
    from classvault.core.exceptions import Conflict

    screening = _planned(lesson, world, TODAY + timedelta(days=1))
    screening_cancel(
        actor=world.student, recording=lesson, screening_id=str(screening.pk), now=TODAY
    )
    with pytest.raises(Conflict), nothing_audited():
        screening_cancel(
            actor=world.student, recording=lesson, screening_id=str(screening.pk), now=TODAY
        )
    over = _planned(lesson, world, TODAY + timedelta(days=2))
    with pytest.raises(Conflict), nothing_audited():
        screening_cancel(
            actor=world.supervisor, recording=lesson, screening_id=str(over.pk), now=over.ends_at
        )


# --- delete --------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["sanne", "mira"])
def test_delete_asks_first_then_deletes_for_good(lesson, actor):
    client = web_login(actor)
    page = client.get(_url(lesson, "delete/"))
    assert page.status_code == 200 and "Ja, definitief verwijderen" in page.content.decode()
    assert Recording.objects.filter(pk=lesson.pk).exists()
    response = client.post(_url(lesson, "delete/"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert not Recording.objects.filter(pk=lesson.pk).exists()
    assert_audited("recording.delete", actor=actor, object_id=lesson.pk)
    assert "definitief verwijderd" in client.get("/").content.decode()
    assert client.get(_url(lesson)).status_code == 404


def test_delete_under_legal_hold_is_refused_clearly(lesson, world):
    legal_hold_place(
        actor=world.privacy, recording=lesson, reason="Vordering OM", reference="OM-1", now=NOW
    )
    client = web_login("sanne")
    with nothing_audited():
        response = client.post(_url(lesson, "delete/"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Ja, definitief verwijderen" not in html
    alert = html[html.find('role="alert"') :][:400]
    assert "niet worden verwijderd" in alert  # the service's own reason, in Dutch
    assert Recording.objects.filter(pk=lesson.pk).exists()


@pytest.mark.parametrize(
    ("actor", "status"), [("tom", 403), ("tara", 404), ("otto", 404), ("femke", 404)]
)
def test_those_who_do_not_manage_cannot_delete(lesson, actor, status):
    client = web_login(actor)
    assert client.get(_url(lesson, "delete/")).status_code == status
    with nothing_audited():
        assert client.post(_url(lesson, "delete/")).status_code == status
    assert Recording.objects.filter(pk=lesson.pk).exists()


# --- work queues ---------------------------------------------------------------------------


def test_student_home_counts_feedback_new_since_her_last_visit(lesson, world, frozen):
    client = web_login("sanne")
    client.get(_url(lesson))  # she looks at it
    frozen.shift(timedelta(minutes=10))
    Comment.objects.create(
        recording=lesson,
        author=world.trainer,
        at_seconds=1,
        text="Mooi",
        created_at=TODAY + timedelta(minutes=5),
    )
    Comment.objects.create(
        recording=lesson,
        author=world.student,
        at_seconds=2,
        text="Eigen reflectie",
        created_at=TODAY + timedelta(minutes=6),
    )
    html = client.get("/").content.decode()
    assert "Breuken met pizza" in html and "1 nieuwe reactie" in html
    assert "gedeeld met Tom Trainer" in html and "verwijderd over" in html
    client.get(_url(lesson))  # she reads it
    frozen.shift(timedelta(minutes=1))
    assert "geen nieuwe feedback" in client.get("/").content.decode()


def test_student_home_without_recordings_calls_to_upload(world, frozen):
    html = web_login("femke").get("/").content.decode()
    assert "U hebt nog geen opnames" in html
    assert "/guidelines/" in html and "Denk eraan" in html


def test_comment_flags_the_owners_own_as_reflection(lesson, world):
    for author in (world.student, world.trainer):
        Comment.objects.create(
            recording=lesson, author=author, at_seconds=1, text="x", created_at=NOW
        )
    flags = {c.author.username: c.is_reflection for c in lesson.comments.all()}
    assert flags == {"sanne": True, "tom": False}


def test_supervisor_home_lists_her_students_with_their_recordings(lesson):
    html = web_login("mira").get("/").content.decode()
    assert "Sanne Student" in html and "1 opname op uw school" in html
    assert _url(lesson) in html and "15 juli 2027" in html
    assert "/consent/pupils/" in html
    # Otto supervises nobody's recordings at his school.
    assert (
        "Er zijn geen leraren-in-opleiding aan u gekoppeld."
        in web_login("otto").get("/").content.decode()
    )


# --- the consent register: read-only for the supervisor, reachable for student teachers ----


def test_supervisor_reads_her_schools_consent_register(lesson):
    client = web_login("mira")
    html = client.get("/consent/pupils/").content.decode()
    assert "Ada Aap" in html and "Bram Beer" in html and "Eva Egel" not in html
    assert "Toestemmingsformulier" not in html and '<form method="post"' not in html
    assert "Leerlingen en toestemming" in html  # in her menu
    assert client.get("/consent/pupils/?school=ZUID").status_code == 403
    assert client.get("/consent/forms/").status_code == 403


def test_supervisor_of_another_school_sees_only_hers(lesson):
    client = web_login("otto")
    assert client.get("/consent/pupils/?school=NOORD").status_code == 403
    html = client.get("/consent/pupils/").content.decode()
    assert "Eva Egel" in html and "Ada Aap" not in html


def test_consent_link_for_enrolled_student_teachers_only(world, frozen):
    assert "/consent/pupils/" in web_login("sanne").get("/").content.decode()
    user_create(
        actor=None,
        username="nina",
        password=PASSWORD,
        role=Role.STUDENT_TEACHER,
        full_name="Nina Nieuw",
        now=NOW,
    )
    assert "/consent/pupils/" not in web_login("nina").get("/").content.decode()
