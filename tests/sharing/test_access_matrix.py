"""Every recording endpoint × every persona, against the contract's visibility rule.

The expected statuses below ARE the access table: `docs/access.md` is generated from them
(`CLASSVAULT_WRITE_ACCESS_DOC=1 pytest tests/sharing/test_access_matrix.py`) and this test
fails when the document and the table disagree.
"""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from classvault.core.home import home_prepare
from classvault.people.models import Role, User
from classvault.people.services import enrolment_set, guidelines_acknowledge, user_create
from classvault.recordings.models import Recording
from classvault.retention.services import legal_hold_place
from classvault.sharing.access import recording_access_list
from classvault.sharing.models import Screening, ScreeningMode
from classvault.sharing.selectors import recordings_visible
from classvault.sharing.services import share_grant
from support.personas import NOW, PASSWORD, TODAY, Api, World, isolated_home, login
from support.pupils import Pupils
from support.recordings import make_recording

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"
WINDOW_START = TODAY + timedelta(days=2)
WINDOW_END = WINDOW_START + timedelta(hours=2)

ENDPOINTS = [
    ("view", "GET", "/recordings/{id}", None),
    ("stream", "GET", "/recordings/{id}/stream", None),
    ("poster", "GET", "/recordings/{id}/poster", None),
    ("list comments", "GET", "/recordings/{id}/comments", None),
    ("comment", "POST", "/recordings/{id}/comments", {"at_seconds": 0.5, "text": "Mooi"}),
    ("share", "POST", "/recordings/{id}/shares", {"username": "tara"}),
    ("unshare", "DELETE", "/recordings/{id}/shares/tom", None),
    (
        "screening",
        "POST",
        "/recordings/{id}/screenings",
        {
            "mode": "online",
            "starts_at": (WINDOW_START + timedelta(days=7)).isoformat(),
            "ends_at": (WINDOW_END + timedelta(days=7)).isoformat(),
            "attendees": ["finn"],
        },
    ),
    (
        "assess",
        "POST",
        "/recordings/{id}/assessments",
        {"verdict": "goed", "notes": "", "assessed_on": "2026-11-03"},
    ),
    ("delete", "DELETE", "/recordings/{id}", None),
]
MANAGE = [200, 200, 200, 200, 201, 201, 204, 201, 403, 204]
HIDDEN = [404] * len(ENDPOINTS)
WATCH_ONLY = [200, 200, 200] + [403] * 7

# persona -> (description, username or None, moment, expected statuses in ENDPOINTS order)
MATRIX = {
    "owner": ("the student teacher who recorded it", "sanne", "now", MANAGE),
    "custodian": ("her supervisor at school", "mira", "now", MANAGE),
    "own_trainer_shared": (
        "her trainer, after she shared it",
        "tom",
        "now",
        [200, 200, 200, 200, 201, 403, 403, 201, 201, 403],
    ),
    "own_trainer_unshared": ("her other trainer, not shared with", "tara", "now", HIDDEN),
    "other_students_trainer": ("another student teacher's trainer", "vera", "now", HIDDEN),
    "unassigned_trainer": ("a trainer of nobody", "uri", "now", HIDDEN),
    "other_school_supervisor": ("a supervisor at another school", "otto", "now", HIDDEN),
    "supervisor_after_move": (
        "a supervisor at the school she moved to afterwards",
        "otto",
        "now",
        HIDDEN,
    ),
    "custodian_after_move": (
        "her former supervisor, after she moved school",
        "mira",
        "now",
        HIDDEN,
    ),
    "fellow_no_screening": ("a fellow student teacher, no screening", "finn", "now", HIDDEN),
    "fellow_before_window": (
        "fellow, online screening, before it starts",
        "femke",
        "before",
        HIDDEN,
    ),
    "fellow_inside_window": (
        "fellow, online screening, while it runs",
        "femke",
        "inside",
        WATCH_ONLY,
    ),
    "fellow_after_window": ("fellow, online screening, after it ended", "femke", "after", HIDDEN),
    "fellow_live_screening": ("fellow, live screening, while it runs", "lotte", "inside", HIDDEN),
    "school_admin": ("the school's administrator", "saskia", "now", HIDDEN),
    "institute_admin": ("the institute's administrator", "anna", "now", HIDDEN),
    "privacy_officer": ("the privacy officer, stating a purpose", "piet", "now", WATCH_ONLY),
    "privacy_officer_no_purpose": (
        "the privacy officer, without a purpose",
        "piet",
        "now",
        [422, 422, 422] + [403] * 7,
    ),
    "owner_expired": (
        "the student teacher, from its expiry on (sweep or not)",
        "sanne",
        "expired",
        HIDDEN,
    ),
    "custodian_expired": ("her supervisor, from its expiry on", "mira", "expired", HIDDEN),
    "own_trainer_shared_expired": (
        "her trainer it is shared with, from its expiry on",
        "tom",
        "expired",
        HIDDEN,
    ),
    "privacy_officer_expired": (
        "the privacy officer, from its expiry on",
        "piet",
        "expired",
        HIDDEN,
    ),
    "owner_expired_held": (
        "the student teacher, from its expiry on, under legal hold",
        "sanne",
        "expired",
        HIDDEN,
    ),
    "privacy_officer_expired_held": (
        "the privacy officer, from its expiry on, under legal hold",
        "piet",
        "expired",
        WATCH_ONLY,
    ),
    "anonymous": ("no token", None, "now", [401] * len(ENDPOINTS)),
}
# Query string per persona: the privacy officer states why she looks (R4).
QUERY = dict.fromkeys(
    ["privacy_officer", "privacy_officer_expired", "privacy_officer_expired_held"],
    "?purpose=access-request-2026-017",
)
MOMENTS = {
    "now": TODAY,
    "before": WINDOW_START - timedelta(seconds=1),
    "inside": WINDOW_START + timedelta(hours=1),
    "after": WINDOW_END,
}
# "expired" is the recording's own expires_at, not yet swept.


def _move(world, recording) -> None:
    """She moves to the other school, where otto supervises her; mira no longer does."""
    enrolment_set(
        actor=world.admin,
        username="sanne",
        school_code="ZUID",
        study_end=date(2027, 7, 15),
        trainers=["tom", "tara"],
        supervisors=["otto"],
        now=NOW,
    )


def _hold(world, recording) -> None:
    legal_hold_place(
        actor=world.privacy,
        recording=recording,
        reason="Vordering OM",
        reference="OM-2026-0412",
        now=NOW,
    )


# persona -> what happened to the scene first
SETUP = {
    "supervisor_after_move": _move,
    "custodian_after_move": _move,
    "owner_expired_held": _hold,
    "privacy_officer_expired_held": _hold,
}


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker, tmp_path_factory, small_video):
    """The recording and everyone around it, built once for the module in a data home of its
    own, inside a transaction rolled back at the end. Each test runs in a savepoint within it
    (pytest-django's ``db``), so every persona meets the scene as built."""
    home = isolated_home(tmp_path_factory.mktemp("matrix") / "home")
    with django_db_blocker.unblock(), override_settings(**home), transaction.atomic():
        with time_machine.travel(TODAY, tick=False):
            home_prepare(
                home=home["CLASSVAULT_HOME"],
                secret_key_file=home["CLASSVAULT_SECRET_KEY_FILE"],
                master_key_file=home["CLASSVAULT_MASTER_KEY_FILE"],
                create_secret_key=False,
            )
            world = _build(small_video)
        yield world
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _isolated_home():
    """Replaces conftest's fresh home per test: the scene's home holds its recording's keys."""


def _build(video: bytes):
    world = World()
    guidelines_acknowledge(actor=world.student, now=NOW)
    world.pupils = Pupils(world)
    for username, role in (
        ("vera", Role.TRAINER),
        ("finn", Role.STUDENT_TEACHER),
        ("lotte", Role.STUDENT_TEACHER),
    ):
        user_create(
            actor=None,
            username=username,
            password=PASSWORD,
            role=role,
            full_name=username.title(),
            now=NOW,
        )
    enrolment_set(
        actor=world.admin,
        username="femke",
        school_code="NOORD",
        study_end=NOW.date() + timedelta(days=400),
        trainers=["vera"],
        supervisors=[],
        now=NOW,
    )
    recording = make_recording(world.student, video=video, pupils=[world.pupils.ada.pk])
    share_grant(actor=world.student, recording=recording, username="tom", now=NOW)
    for mode, attendee in ((ScreeningMode.ONLINE, "femke"), (ScreeningMode.LIVE, "lotte")):
        screening = Screening.objects.create(
            recording=recording,
            mode=mode,
            starts_at=WINDOW_START,
            ends_at=WINDOW_END,
            scheduled_by=world.student,
            scheduled_at=NOW,
        )
        screening.attendees.set([User.objects.get(username=attendee)])
    world.recording_id = str(recording.pk)
    return world


def _status(api: Api, method: str, path: str, body) -> int:
    """One call whose effects are rolled back, so every endpoint sees the same scene."""
    with transaction.atomic():
        if method == "GET":
            response = api.get(path)
        elif method == "DELETE":
            response = api.delete(path)
        else:
            response = api.post(path, body)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response.status_code


@pytest.mark.parametrize("persona", list(MATRIX))
def test_access_matrix(scene, db, persona):
    _description, username, moment, expected = MATRIX[persona]
    recording = Recording.objects.get(pk=scene.recording_id)
    if persona in SETUP:
        SETUP[persona](scene, recording)
    at = recording.expires_at if moment == "expired" else MOMENTS[moment]
    path_of = {
        name: path.format(id=scene.recording_id) + QUERY.get(persona, "")
        for name, _method, path, _body in ENDPOINTS
    }
    with time_machine.travel(at, tick=False):
        api = Api() if username is None else login(username)
        got = [_status(api, method, path_of[name], body) for name, method, _p, body in ENDPOINTS]
        listed = (
            scene.recording_id in [r["id"] for r in api.get("/recordings").json()]
            if username
            else None
        )
    assert dict(zip([e[0] for e in ENDPOINTS], got, strict=True)) == dict(
        zip([e[0] for e in ENDPOINTS], expected, strict=True)
    )
    if username:
        # The list shows exactly what may be viewed (the officer: once she states a purpose).
        assert listed == (expected[0] in (200, 422))


def render_access_doc() -> str:
    lines = [
        "# Who may do what with a recording",
        "",
        "Generated from `tests/sharing/test_access_matrix.py` (the test fails when this file",
        "and the test disagree). The scene: student teacher *sanne* recorded a lesson at her",
        "school and shared it with her trainer *tom*; *femke* is invited to an online",
        "screening and *lotte* to a live one, both two hours long. Status codes are those of",
        "the HTTP API; 404 means the recording is invisible (its existence is not revealed);",
        "the privacy officer must state a `purpose` (logged with every view), else 422.",
        '"After she moved": sanne was placed at another school (supervisor *otto*) after',
        "recording; a supervisor is custodian only of recordings made at her own school.",
        '"From its expiry on": at the recording\'s `expires_at` and later, whether or not the',
        "sweep has run; under legal hold only the privacy officer still sees it.",
        "",
        "| persona | "
        + " | ".join(f"{name}<br>`{method}`" for name, method, _p, _b in ENDPOINTS)
        + " |",
        "|---|" + "---|" * len(ENDPOINTS),
    ]
    for _key, (description, _username, _moment, expected) in MATRIX.items():
        lines.append(f"| {description} | " + " | ".join(str(s) for s in expected) + " |")
    lines += [
        "",
        "Endpoints: "
        + "; ".join(f"{name} = `{method} /api/v1{path}`" for name, method, path, _b in ENDPOINTS)
        + ".",
        "",
    ]
    return "\n".join(lines)


def test_access_doc_is_generated_from_this_matrix():
    text = render_access_doc()
    if os.environ.get("CLASSVAULT_WRITE_ACCESS_DOC"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, (
        "regenerate: CLASSVAULT_WRITE_ACCESS_DOC=1 pytest tests/sharing/test_access_matrix.py"
    )


# --- the "who has access" panel lists exactly whom the rule admits ---------------------------

# scene -> (what happened first, moment, who is admitted, in the rule's own words below)
ACCESS_SCENES = {
    "as built": (None, "now", {"sanne", "mira", "tom", "piet"}),
    "before the online screening": (None, "before", {"sanne", "mira", "tom", "piet"}),
    "while it runs": (None, "inside", {"sanne", "mira", "tom", "piet", "femke"}),
    "after it ended": (None, "after", {"sanne", "mira", "tom", "piet"}),
    "after she moved school": (_move, "now", {"sanne", "tom", "piet"}),
    "from its expiry on": (None, "expired", set()),
    "from its expiry on, under legal hold": (_hold, "expired", {"piet"}),
}


@pytest.mark.parametrize("name", list(ACCESS_SCENES))
def test_access_list_names_exactly_whom_the_rule_admits(scene, db, name):
    setup, moment, expected = ACCESS_SCENES[name]
    recording = Recording.objects.get(pk=scene.recording_id)
    if setup is not None:
        setup(scene, recording)
    at = recording.expires_at if moment == "expired" else MOMENTS[moment]
    entries = recording_access_list(recording=recording, now=at)
    listed = {e.user.username for e in entries if e.current}
    admitted = {
        u.username
        for u in User.objects.all()
        if recordings_visible(actor=u, now=at).filter(pk=recording.pk).exists()
    }
    assert listed == admitted == expected
    # Why each is there; the screening still to come is shown with its window, not as access.
    reasons = {(e.user.username, e.reason, e.current) for e in entries}
    if moment == "before":
        assert ("femke", "screening", False) in reasons
    if name == "as built":
        assert reasons == {
            ("sanne", "owner", True),
            ("mira", "custodian", True),
            ("tom", "shared", True),
            ("piet", "privacy_officer", True),
            ("femke", "screening", False),
        }
