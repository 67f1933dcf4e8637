"""Creating recordings while the worker stores keys never deadlocks (issue 9, outside attack 1).

Recording creation used to write its audit events (locking the audit head) and then lock its
expiry day's retention key row; the worker stores a rendition's data key the other way round
(the retention key row, then the audit head). On PostgreSQL the two deadlocked: a 500 for the
upload, a counted attempt for the transcode. The audit head is now the last lock every
transaction takes. Real threads on a real database; on SQLite one writer runs at a time, so
there the test shows that nothing else broke.
"""

import threading
import time
import uuid

import pytest
from django.db import connection

from classvault.people.services import guidelines_acknowledge
from classvault.recordings import services
from classvault.recordings.hooks import recording_created
from classvault.recordings.models import Recording
from classvault.recordings.uploads import EncryptedUpload
from classvault.vault.models import DataKey
from classvault.vault.services import data_key_create, vault_store
from support.concurrency import run_in_threads, separate_database
from support.personas import NOW, TODAY, World
from support.recordings import make_recording


@pytest.fixture
def threaded_studio(empty_database_template, db, tmp_path, vault_home, frozen):
    with separate_database(empty_database_template, tmp_path):
        world = World()
        guidelines_acknowledge(actor=world.student, now=NOW)
        yield world


def _create(world, video, recording_id):
    stored = vault_store(object_id=recording_id, purpose="original", chunks=[video], now=TODAY)
    return services.recording_create(
        actor=world.student,
        recording_id=recording_id,
        upload=EncryptedUpload("les.mp4", "video/mp4", stored),
        title="Rekenles",
        recorded_at=NOW,
        pupil_ids=[],
        attested_ids=[],
        now=TODAY,
    )


def _someone_waits_for_a_lock() -> bool:
    if connection.vendor != "postgresql":
        return False  # SQLite: the other writer waits for the whole transaction anyway
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def test_a_key_stored_while_a_recording_is_created_does_not_deadlock(
    threaded_studio, small_video, monkeypatch
):
    # A ready recording expiring the same day: its new keys go under the same retention key.
    other = make_recording(threaded_studio.student, recorded_at=NOW, now=TODAY)
    in_hook, stored = threading.Event(), threading.Event()

    def pause(**kwargs):
        # In the new recording's transaction, just before its keys move under the day's key:
        # let the worker store its key now, until it is done or waits for a lock held here.
        in_hook.set()
        deadline = time.monotonic() + (5 if connection.vendor == "postgresql" else 0.2)
        while (
            not stored.is_set() and time.monotonic() < deadline and not _someone_waits_for_a_lock()
        ):
            time.sleep(0.01)

    monkeypatch.setattr(recording_created, "_handlers", [pause, *recording_created.handlers])

    def store_key():
        assert in_hook.wait(30)
        try:
            return data_key_create(object_id=str(other.pk), purpose="poster", now=TODAY)
        finally:
            stored.set()

    new_id = str(uuid.uuid4())
    created, key = run_in_threads(lambda: _create(threaded_studio, small_video, new_id), store_key)
    assert isinstance(created, Recording), created
    assert isinstance(key, tuple), key
    day = DataKey.objects.get(pk=key[0].pk).retention_key
    assert day.startswith("d-")
    assert set(
        DataKey.objects.filter(object_id=new_id, destroyed_at__isnull=True).values_list(
            "retention_key", flat=True
        )
    ) == {day}


def test_many_recordings_created_while_keys_are_stored_all_succeed(threaded_studio, small_video):
    others = [make_recording(threaded_studio.student, recorded_at=NOW, now=TODAY) for _ in range(2)]
    start = threading.Barrier(4)

    def create(n):
        start.wait(30)
        return [_create(threaded_studio, small_video, str(uuid.uuid4())) for _ in range(2)]

    def store_keys():
        start.wait(30)
        return [
            data_key_create(object_id=str(others[i % 2].pk), purpose="poster", now=TODAY)
            for i in range(8)
        ]

    results = run_in_threads(*(lambda n=n: create(n) for n in range(3)), store_keys)
    for result in results:
        assert isinstance(result, list), result
    assert Recording.objects.count() == 2 + 3 * 2
