"""Completing one resumable upload from several requests at once makes one recording (9.3).

Real threads on a real database; a gate lets the requests meet where they would have raced.
"""

import threading
from datetime import timedelta

import pytest
from test_recording_resumable_upload import original_parts, send_all, start

from classvault.core.exceptions import Conflict
from classvault.people.services import guidelines_acknowledge
from classvault.recordings import resumable
from classvault.recordings.models import Recording, Upload
from support.concurrency import run_in_threads, separate_database
from support.personas import NOW, TODAY, World, login
from support.pupils import Pupils

CALLERS = 4


@pytest.fixture
def threaded_studio(empty_database_template, db, tmp_path, vault_home, frozen, settings):
    settings.CLASSVAULT_UPLOAD_CHUNK_BYTES = 4096
    with separate_database(empty_database_template, tmp_path):
        world = World()
        guidelines_acknowledge(actor=world.student, now=NOW)
        world.pupils = Pupils(world)
        yield world


class Gate:
    """Holds whoever arrives until ``count`` arrived or ``timeout`` passed; never raises."""

    def __init__(self, count: int, timeout: float) -> None:
        self.count, self.timeout = count, timeout
        self.arrived = 0
        self.condition = threading.Condition()

    def wait(self) -> None:
        with self.condition:
            self.arrived += 1
            self.condition.notify_all()
            self.condition.wait_for(lambda: self.arrived >= self.count, self.timeout)


def _complete_body(world):
    return {"title": "Les", "recorded_at": NOW.isoformat(), "pupils": [str(world.pupils.ada.pk)]}


def test_four_concurrent_completes_make_one_recording(
    threaded_studio, small_video, vault_home, monkeypatch
):
    api = login("sanne")
    upload_id = start(api, len(small_video)).json()["id"]
    send_all(api, upload_id, small_video)
    # Every request has looked the upload up before any goes on; and each one that gets as
    # far as registering a recording waits a moment for the others to get there too.
    looked_up, registering = threading.Barrier(CALLERS), Gate(CALLERS, timeout=1)
    real_get, real_create = resumable.upload_get, resumable.recording_create

    def upload_get(**kwargs):
        upload = real_get(**kwargs)
        looked_up.wait(30)
        return upload

    def recording_create(**kwargs):
        registering.wait()
        return real_create(**kwargs)

    monkeypatch.setattr(resumable, "upload_get", upload_get)
    monkeypatch.setattr(resumable, "recording_create", recording_create)

    def complete():
        return api.post(f"/uploads/{upload_id}/complete", _complete_body(threaded_studio))

    responses = run_in_threads(*[complete] * CALLERS)
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (CALLERS - 1), [r.content for r in responses]
    [created] = [r.json()["id"] for r in responses if r.status_code == 201]
    assert [str(pk) for pk in Recording.objects.values_list("pk", flat=True)] == [created]
    assert not Upload.objects.exists()
    # One encrypted copy: the recording's original, made of the parts received.
    original_parts(vault_home, created)


def test_a_refused_completion_releases_the_upload_for_another_try(threaded_studio, small_video):
    api = login("sanne")
    upload_id = start(api, len(small_video)).json()["id"]
    send_all(api, upload_id, small_video)
    refused = api.post(
        f"/uploads/{upload_id}/complete",
        {**_complete_body(threaded_studio), "pupils": [str(threaded_studio.pupils.cas.pk)]},
    )
    assert refused.status_code == 409 and refused.json()["pupils_without_consent"]
    done = api.post(f"/uploads/{upload_id}/complete", _complete_body(threaded_studio))
    assert done.status_code == 201, done.content


def test_a_request_stalled_past_its_claim_makes_nothing(
    threaded_studio, small_video, vault_home, monkeypatch
):
    """The claim lapses while the first request is stalled; a second one completes; the
    first then finds the upload used up: 409, and its joined copy is shredded."""
    api = login("sanne")
    upload_id = start(api, len(small_video)).json()["id"]
    send_all(api, upload_id, small_video)
    real_create = resumable.recording_create
    later = TODAY + resumable.COMPLETE_CLAIM + timedelta(seconds=1)
    second = []
    stalled = threading.Event()

    def stalled_create(**kwargs):
        if not stalled.is_set():  # the first request, joined, about to register: it stalls
            stalled.set()
            second.append(_complete(threaded_studio, upload_id, later))
        return real_create(**kwargs)

    monkeypatch.setattr(resumable, "recording_create", stalled_create)
    with pytest.raises(Conflict):
        _complete(threaded_studio, upload_id, TODAY)
    [recording] = Recording.objects.all()
    assert str(recording.pk) == str(second[0].pk)
    original_parts(vault_home, str(recording.pk))


def _complete(world, upload_id, now):
    upload = Upload.objects.get(pk=upload_id)
    return resumable.upload_complete(
        actor=world.student,
        upload=upload,
        title="Les",
        recorded_at=NOW,
        pupil_ids=[str(world.pupils.ada.pk)],
        attested_ids=[],
        now=now,
    )
