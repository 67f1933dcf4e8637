"""From `expires_at` on a recording is visible to nobody (404), sweep or not; under legal hold
it stays visible to the privacy officer only. Checked at -1 s, 0 and +1 s, through the API."""

from datetime import timedelta

import pytest
import time_machine

from classvault.people.models import User
from classvault.recordings.models import Recording
from classvault.retention.services import legal_hold_place
from classvault.sharing.models import Screening, ScreeningMode
from classvault.sharing.services import share_grant
from support.personas import NOW, login
from support.recordings import make_recording

PURPOSE = "?purpose=legal-obligation-OM-2026-0412"
# Who looks, and the query string they send: the officer states her purpose (R4).
LOOKERS = {"sanne": "", "mira": "", "tom": "", "femke": "", "piet": PURPOSE}
READS = ["detail", "stream", "comments", "list"]
# Screening attendees and the privacy officer watch; feedback is not theirs (403).
WATCH_ONLY = {"femke", "piet"}


@pytest.fixture
def scene(studio, small_video):
    """Sanne's recording shared with trainer Tom; Femke invited to an online screening that
    runs across the expiry (as after a study end moved forward: the expiry was recomputed
    earlier, the screening stayed). Nobody has swept."""
    recording = make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk])
    share_grant(actor=studio.student, recording=recording, username="tom", now=NOW)
    screening = Screening.objects.create(
        recording=recording,
        mode=ScreeningMode.ONLINE,
        starts_at=recording.expires_at - timedelta(hours=1),
        ends_at=recording.expires_at + timedelta(hours=1),
        scheduled_by=studio.student,
        scheduled_at=NOW,
    )
    screening.attendees.set([studio.fellow])
    return recording


def hold(recording):
    legal_hold_place(
        actor=User.objects.get(username="piet"),
        recording=recording,
        reason="Vordering van het Openbaar Ministerie",
        reference="OM-2026-0412",
        now=NOW + timedelta(days=2),
    )


def reads(username: str, recording) -> dict[str, int]:
    """The status of each read endpoint for this user at the current (frozen) clock; "list"
    is 200 when the recording is listed, 404 when not."""
    api = login(username)
    base = f"/recordings/{recording.pk}"
    query = LOOKERS[username]
    got = {
        "detail": api.get(base + query).status_code,
        "comments": api.get(base + "/comments").status_code,
    }
    stream = api.client.get(
        f"/api/v1{base}/stream{query}", headers={"Authorization": f"Bearer {api.token}"}
    )
    if stream.status_code == 200:
        b"".join(stream.streaming_content)
    got["stream"] = stream.status_code
    listed = str(recording.pk) in [r["id"] for r in api.get("/recordings").json()]
    got["list"] = 200 if listed else 404
    return got


@pytest.mark.parametrize("held", [False, True], ids=["not held", "held"])
@pytest.mark.parametrize("offset", [-1, 0, 1], ids=["-1s", "0s", "+1s"])
def test_visibility_ends_at_expiry_except_for_the_officer_under_hold(scene, held, offset):
    if held:
        hold(scene)
    with time_machine.travel(scene.expires_at + timedelta(seconds=offset), tick=False):
        got = {username: reads(username, scene) for username in LOOKERS}
    for username in LOOKERS:
        visible = offset < 0 or (held and username == "piet")
        expected = dict.fromkeys(READS, 200 if visible else 404)
        if visible and username in WATCH_ONLY:
            expected["comments"] = 403
        assert got[username] == expected, username


@pytest.mark.parametrize("offset", [0, 1], ids=["0s", "+1s"])
def test_after_expiry_the_custodians_manage_nothing(scene, offset):
    """Sharing, screening, commenting, deleting: 404 like every read, for owner and
    supervisor alike (the checks behind them never see an expired recording)."""
    base = f"/recordings/{scene.pk}"
    with time_machine.travel(scene.expires_at + timedelta(seconds=offset), tick=False):
        for username in ("sanne", "mira"):
            api = login(username)
            assert (
                api.post(base + "/comments", {"at_seconds": 0.1, "text": "Mooi"}).status_code == 404
            )
            assert api.post(base + "/shares", {"username": "tara"}).status_code == 404
            assert api.delete(base + "/shares/tom").status_code == 404
            assert (
                api.post(
                    base + "/screenings",
                    {
                        "mode": "live",
                        "starts_at": scene.expires_at.isoformat(),
                        "ends_at": (scene.expires_at + timedelta(hours=1)).isoformat(),
                        "attendees": ["femke"],
                    },
                ).status_code
                == 404
            )
            assert api.delete(base).status_code == 404
    assert Recording.objects.filter(pk=scene.pk).exists()


def test_a_held_recording_after_expiry_is_watch_only_for_the_officer(scene):
    hold(scene)
    base = f"/recordings/{scene.pk}"
    with time_machine.travel(scene.expires_at, tick=False):
        api = login("piet")
        assert api.get(base + PURPOSE).json()["legal_hold"] is True
        assert api.post(base + "/comments", {"at_seconds": 0.1, "text": "x"}).status_code == 403
        assert api.delete(base).status_code == 403
        # The officer can still release the hold; from then on nobody sees it.
        assert api.delete(base + "/legal-hold").status_code == 204
        assert api.get(base + PURPOSE).status_code == 404


def test_without_a_registered_hold_check_an_expired_recording_is_visible_to_nobody(
    scene, monkeypatch
):
    """The rule fails closed: the legal-hold exception exists only through retention's hook."""
    from classvault.sharing import hooks

    hold(scene)
    monkeypatch.setattr(hooks.kept_after_expiry_hook, "_handlers", [])
    with time_machine.travel(scene.expires_at, tick=False):
        assert login("piet").get(f"/recordings/{scene.pk}{PURPOSE}").status_code == 404


def test_sharing_does_not_import_the_retention_app_above_it():
    """The app stack runs core < ... < sharing < retention: the hold check is a hook."""
    import ast
    from pathlib import Path

    import classvault.sharing

    for path in Path(classvault.sharing.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ]
        imported += [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ]
        assert not [m for m in imported if m.startswith("classvault.retention")], path.name
