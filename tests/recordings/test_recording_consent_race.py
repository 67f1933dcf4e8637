"""A withdrawal racing an upload is never lost: real threads on a real database (issue 9.1).

Whatever the order, the upload is refused (409) or its recording exists and is blocked; a
recording of a pupil who withdrew never becomes ready or stays unblocked.
"""

import threading
import time
from datetime import date

import pytest

from classvault.consent.models import ConsentRecord
from classvault.consent.services import consent_withdraw
from classvault.core.exceptions import Conflict
from classvault.people.services import guidelines_acknowledge
from classvault.recordings import media, services
from classvault.recordings.hooks import recording_created
from classvault.recordings.models import Recording
from classvault.recordings.processing import recording_process
from classvault.recordings.uploads import EncryptedUpload
from classvault.vault.models import DataKey
from classvault.vault.services import vault_store
from support.concurrency import run_in_threads, separate_database
from support.personas import NOW, TODAY, World
from support.pupils import Pupils

RECORDING = "5a1e0000-0000-4000-8000-000000000001"


@pytest.fixture
def threaded_studio(empty_database_template, db, tmp_path, vault_home, frozen):
    with separate_database(empty_database_template, tmp_path):
        world = World()
        guidelines_acknowledge(actor=world.student, now=NOW)
        world.pupils = Pupils(world)
        yield world


def _create(world, video):
    stored = vault_store(object_id=RECORDING, purpose="original", chunks=[video], now=TODAY)
    return services.recording_create(
        actor=world.student,
        recording_id=RECORDING,
        upload=EncryptedUpload("les.mp4", "video/mp4", stored),
        title="Rekenles",
        recorded_at=NOW,
        pupil_ids=[str(world.pupils.ada.pk)],
        attested_ids=[],
        now=TODAY,
    )


def _withdraw(world):
    return consent_withdraw(
        actor=world.school_admin,
        pupil_id=str(world.pupils.ada.pk),
        scope="all",
        by="guardian",
        signer_name="Gerda Guardian",
        verified_in_person=True,
        on=date(2026, 11, 1),
        now=TODAY,
    )


def _assert_withdrawal_holds(created, withdrawn):
    assert isinstance(withdrawn, ConsentRecord), withdrawn
    recording = Recording.objects.filter(pk=RECORDING).first()
    if isinstance(created, Conflict):
        assert recording is None
        assert created.extra["pupils_without_consent"] == [str(created_pupil())]
        # The refused upload is shredded.
        assert not DataKey.objects.filter(object_id=RECORDING, destroyed_at__isnull=True).exists()
    else:
        assert isinstance(created, Recording), created
        assert recording.status == "blocked"


def created_pupil():
    from classvault.consent.models import Pupil

    return Pupil.objects.get(external_id="1001").pk


def test_a_withdrawal_while_the_video_is_probed_refuses_the_upload(
    threaded_studio, small_video, monkeypatch
):
    probing, withdrawn = threading.Event(), threading.Event()
    real_probe = media.probe

    def slow_probe(src):
        probing.set()
        assert withdrawn.wait(30)
        return real_probe(src)

    monkeypatch.setattr(media, "probe", slow_probe)

    def withdraw():
        try:
            assert probing.wait(30)
            return _withdraw(threaded_studio)
        finally:
            withdrawn.set()

    created, record = run_in_threads(lambda: _create(threaded_studio, small_video), withdraw)
    assert isinstance(created, Conflict), created
    _assert_withdrawal_holds(created, record)


def test_a_withdrawal_while_the_recording_is_written_blocks_it(
    threaded_studio, small_video, monkeypatch
):
    writing, asked = threading.Event(), threading.Event()

    def slow_handler(**kwargs):
        writing.set()
        assert asked.wait(30)
        time.sleep(0.2)  # let the withdrawal reach the lock (either order is correct)

    # Last in the new recording's transaction: the recording row is written by now.
    monkeypatch.setattr(recording_created, "_handlers", [*recording_created.handlers, slow_handler])

    def withdraw():
        assert writing.wait(30)
        asked.set()
        return _withdraw(threaded_studio)

    created, record = run_in_threads(lambda: _create(threaded_studio, small_video), withdraw)
    _assert_withdrawal_holds(created, record)
    # The job that follows never makes it ready.
    assert recording_process(recording_id=RECORDING, now=TODAY) == "blocked"
