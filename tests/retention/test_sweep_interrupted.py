"""An interrupted sweep leaves nothing half-deleted, and the next sweep finishes the job."""

from datetime import timedelta

import pytest

from classvault.recordings.models import Recording
from classvault.retention.models import Tombstone
from classvault.retention.services import sweep as sweep_module
from classvault.vault.blobs import FileBlobStore
from classvault.vault.models import DataKey
from support.personas import NOW
from support.recordings import make_recording
from support.vault import blob_files, plaintext, sweep


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, open transactions roll back."""


@pytest.fixture
def three(world, vault_home):
    # Ten days apart: 30 and 31 October would both expire on 30 April (month-end clamp).
    return [
        make_recording(world.student, recorded_at=NOW - timedelta(days=10 * (3 - i)))
        for i in range(3)
    ]


def blobs_of(home, recording) -> list:
    return [p for p in blob_files(home) if p.parent.name == str(recording.pk)]


def assert_fully_deleted(home, recording):
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not DataKey.objects.filter(
        object_id=str(recording.pk), destroyed_at__isnull=True
    ).exists()
    assert Tombstone.objects.get(pk=recording.pk).blobs_cleared_at is not None
    assert blobs_of(home, recording) == []


def assert_untouched(recording):
    assert Recording.objects.filter(pk=recording.pk).exists()
    assert plaintext(recording.pk).startswith(b"a lesson on fractions")
    assert not Tombstone.objects.filter(pk=recording.pk).exists()


def test_blob_removal_failing_for_the_second_recording_is_finished_next_time(
    three, vault_home, monkeypatch
):
    first, second, third = three
    real_delete = FileBlobStore.delete

    def flaky_delete(self, name):
        if name.startswith(str(second.pk)):
            raise OSError("the disk said no")
        return real_delete(self, name)

    monkeypatch.setattr(FileBlobStore, "delete", flaky_delete)
    now = third.expires_at
    # The others go on: the second is gone and unreadable already, only its blobs are left.
    assert sweep(now) == [str(r.pk) for r in three]
    assert_fully_deleted(vault_home, first)
    assert_fully_deleted(vault_home, third)
    assert not Recording.objects.filter(pk=second.pk).exists()
    assert not DataKey.objects.filter(object_id=str(second.pk), wrapped__isnull=False).exists()
    assert Tombstone.objects.get(pk=second.pk).blobs_cleared_at is None
    assert blobs_of(vault_home, second)
    monkeypatch.undo()
    assert sweep(now) == []  # nothing new to delete; the leftovers are cleared
    assert_fully_deleted(vault_home, second)


def test_killed_inside_the_second_batchs_transaction(three, vault_home, monkeypatch):
    # Batches of one: the first batch committed, the second is killed before its commit.
    first, second, third = three
    real_destroy = sweep_module.data_keys_destroy

    def destroy_then_die(*, object_ids, now, actor=None):
        real_destroy(object_ids=object_ids, now=now, actor=actor)
        if str(second.pk) in object_ids:
            raise Killed  # after its keys were destroyed, before the commit

    monkeypatch.setattr(sweep_module, "data_keys_destroy", destroy_then_die)
    with pytest.raises(Killed):
        sweep(third.expires_at, batch_size=1)
    assert_fully_deleted(vault_home, first)
    assert_untouched(second)  # rolled back as a whole: keys, tombstone, rows
    assert_untouched(third)
    monkeypatch.undo()
    assert sweep(third.expires_at) == [str(second.pk), str(third.pk)]
    for recording in three:
        assert_fully_deleted(vault_home, recording)


def test_killed_mid_batch_leaves_the_whole_batch_untouched(three, vault_home, monkeypatch):
    first, second, third = three
    real_pupils = sweep_module.TombstonePupil.objects.bulk_create

    def write_then_die(objs, *args, **kwargs):
        real_pupils(objs, *args, **kwargs)
        raise Killed  # keys destroyed, tombstones written, rows not yet deleted, no commit

    monkeypatch.setattr(sweep_module.TombstonePupil.objects, "bulk_create", write_then_die)
    with pytest.raises(Killed):
        sweep(third.expires_at)  # all three in one batch
    for recording in three:
        assert_untouched(recording)
    monkeypatch.undo()
    assert sweep(third.expires_at) == [str(r.pk) for r in three]
    for recording in three:
        assert_fully_deleted(vault_home, recording)


def test_killed_after_the_commit_before_its_blobs_went(three, vault_home, monkeypatch):
    first, second, third = three
    real_finish = sweep_module._finish_many_quietly

    def finish_or_die(recording_ids, now):
        if second.pk in recording_ids:
            raise Killed
        real_finish(recording_ids, now)

    monkeypatch.setattr(sweep_module, "_finish_many_quietly", finish_or_die)
    with pytest.raises(Killed):
        sweep(third.expires_at, batch_size=1)
    assert_fully_deleted(vault_home, first)
    for recording in (second, third):  # committed: gone and unreadable, blobs still there
        assert not Recording.objects.filter(pk=recording.pk).exists()
        assert Tombstone.objects.get(pk=recording.pk).blobs_cleared_at is None
    monkeypatch.undo()
    assert sweep(third.expires_at) == []
    for recording in three:
        assert_fully_deleted(vault_home, recording)


def test_a_recording_that_cannot_be_deleted_does_not_stop_the_others(
    three, vault_home, monkeypatch
):
    first, second, third = three
    real_batch, real_destroy = sweep_module.data_keys_destroy, sweep_module.data_key_destroy

    def refuse_batch(*, object_ids, now, actor=None):
        if str(second.pk) in object_ids:
            raise RuntimeError("database hiccup")
        return real_batch(object_ids=object_ids, now=now, actor=actor)

    def refuse_second(*, object_id, now, actor=None):
        if object_id == str(second.pk):
            raise RuntimeError("database hiccup")
        return real_destroy(object_id=object_id, now=now, actor=actor)

    # The batch fails as a whole, then goes one recording per transaction.
    monkeypatch.setattr(sweep_module, "data_keys_destroy", refuse_batch)
    monkeypatch.setattr(sweep_module, "data_key_destroy", refuse_second)
    assert sweep(third.expires_at) == [str(first.pk), str(third.pk)]
    assert_untouched(second)
    monkeypatch.undo()
    assert sweep(third.expires_at) == [str(second.pk)]


def test_a_late_writer_cannot_store_anything_for_a_deleted_recording(three, vault_home):
    from classvault.vault.exceptions import ObjectRetired
    from classvault.vault.services import vault_store

    first = three[0]
    sweep(first.expires_at)
    with pytest.raises(ObjectRetired):
        vault_store(
            object_id=str(first.pk), purpose="rendition", chunks=[b"late"], now=first.expires_at
        )
    assert blobs_of(vault_home, first) == []
