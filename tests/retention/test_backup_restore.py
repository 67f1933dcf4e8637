"""Backups do not bring a deleted recording back (docs/retention.md, "Backups").

A backup, by the documented procedure, holds the database and the blob store, never the
retention key folder. Here the attacker is as strong as it gets short of that folder: they
restore the old database and blobs onto the live system, which still has its master key and
its current retention key folder. Once the recording's retention is over, that is noise.
"""

import shutil
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.core import serializers
from django.test import TestCase

from classvault.people.services import enrolment_set
from classvault.retention.services import recording_delete, retention_keys_sync
from classvault.vault.exceptions import VaultError, VaultKeyError
from classvault.vault.keys import key_provider
from classvault.vault.models import DataKey, RetentionKey
from support.personas import NOW
from support.recordings import ORIGINAL, make_recording
from support.vault import plaintext, sweep


class Backup:
    """A database dump (every row a decryption could use) and a copy of the blob store."""

    def __init__(self, home, folder) -> None:
        self.home, self.folder = home, folder
        self.rows = serializers.serialize(
            "json", [*DataKey.objects.all(), *RetentionKey.objects.all()]
        )
        shutil.copytree(home / "blobs", folder / "blobs")

    def _put_back(self) -> None:
        DataKey.objects.all().delete()
        RetentionKey.objects.all().delete()
        for row in serializers.deserialize("json", self.rows):
            row.save()
        shutil.rmtree(self.home / "blobs")
        shutil.copytree(self.folder / "blobs", self.home / "blobs")

    @contextmanager
    def restored(self):
        """The attacker's view: this backup restored onto the live system (its master key
        and its retention key folder as they are now); the live state comes back after."""
        live = Backup(self.home, self.folder.with_name(self.folder.name + "-live"))
        self._put_back()
        try:
            yield
        finally:
            live._put_back()
            shutil.rmtree(live.folder)


def schedule_ran(now):
    with TestCase.captureOnCommitCallbacks(execute=True):
        retention_keys_sync(now=now)


@pytest.fixture
def pair(world, vault_home):
    """A expires 13 April 2027, B on 2 May 2027."""
    a = make_recording(world.student, recorded_at=NOW - timedelta(days=20))
    b = make_recording(world.student, recorded_at=NOW)
    return a, b


@pytest.mark.parametrize("taken", ["right after the upload", "after the schedule ran"])
def test_a_backup_from_before_the_sweep_cannot_decrypt_the_expired_recording(
    pair, vault_home, tmp_path, taken
):
    a, b = pair
    if taken == "after the schedule ran":
        schedule_ran(NOW)
    backup = Backup(vault_home, tmp_path / "backup")
    with backup.restored():  # the procedure works: before the deletion it gives all back
        assert plaintext(a.pk) == ORIGINAL
    schedule_ran(NOW)
    assert sweep(a.expires_at) == [str(a.pk)]
    with backup.restored():
        for purpose in ("original", "rendition", "poster"):
            with pytest.raises(VaultKeyError):
                plaintext(a.pk, purpose)
        # The restore itself worked: what was not deleted reads fine from the same backup
        # (B's original, if the backup caught it under its own upload key, moved since).
        assert plaintext(b.pk, "rendition") == b"rendition" * 40


def test_the_database_backup_alone_never_decrypts_anything_even_with_the_master_key(
    pair, vault_home
):
    _, b = pair
    schedule_ran(NOW)
    master = key_provider()  # the master key itself: a backup of master.key
    for key in DataKey.objects.filter(object_id=str(b.pk)):
        assert key.retention_key  # wrapped by a retention key, which lives outside the database
        with pytest.raises(VaultKeyError):
            master.unwrap(bytes(key.wrapped), key.wrap_context)


def test_a_restored_copy_of_the_key_folder_is_removed_again_by_the_sweep(
    pair, vault_home, tmp_path
):
    a, b = pair
    schedule_ran(NOW)
    shutil.copytree(vault_home / "retention-keys", tmp_path / "keys-copy")
    backup = Backup(vault_home, tmp_path / "backup")
    sweep(a.expires_at)
    # Someone copies the old folder back: the live database knows the key was destroyed
    # and refuses it...
    shutil.rmtree(vault_home / "retention-keys")
    shutil.copytree(tmp_path / "keys-copy", vault_home / "retention-keys")
    with pytest.raises(VaultError):
        plaintext(a.pk)
    # ...and the next sweep removes the restored file again, before any backup restore.
    sweep(a.expires_at + timedelta(minutes=15))
    with backup.restored():
        with pytest.raises(VaultKeyError):
            plaintext(a.pk)
        assert plaintext(b.pk) == ORIGINAL


def test_an_earlier_study_end_leaves_no_backup_path_once_the_new_expiry_passed(
    world, vault_home, tmp_path
):
    recording = make_recording(world.student, recorded_at=NOW)
    schedule_ran(NOW)
    backup = Backup(vault_home, tmp_path / "backup")  # its keys under the 2 May key
    with TestCase.captureOnCommitCallbacks(execute=True):
        enrolment_set(
            actor=world.admin,
            username="sanne",
            school_code="NOORD",
            study_end=date(2027, 1, 31),
            trainers=[],
            supervisors=[],
            now=NOW,
        )
    recording.refresh_from_db()
    assert sweep(recording.expires_at) == [str(recording.pk)]
    with backup.restored():
        # Moving to the 31 January key destroyed the 2 May key (nothing else was under it).
        with pytest.raises(VaultKeyError):
            plaintext(recording.pk)


def test_the_documented_limit_of_deleting_by_hand_before_the_expiry_day(
    world, vault_home, tmp_path
):
    """Deleted by hand, a recording is unreadable at once in the live system; an old backup
    still decrypts it while another recording of the same expiry day keeps that day's key
    alive, and no longer once that one is gone too."""
    mine = make_recording(world.student, recorded_at=NOW)
    same_day = make_recording(world.student, recorded_at=NOW + timedelta(hours=1))
    schedule_ran(NOW)
    backup = Backup(vault_home, tmp_path / "backup")
    with TestCase.captureOnCommitCallbacks(execute=True):
        recording_delete(actor=world.student, recording=mine, now=NOW + timedelta(days=1))
    with pytest.raises(VaultError):
        plaintext(mine.pk)
    with backup.restored():
        assert plaintext(mine.pk) == ORIGINAL  # the limit, stated in docs/retention.md
    assert sweep(same_day.expires_at) == [str(same_day.pk)]
    with backup.restored():
        with pytest.raises(VaultKeyError):
            plaintext(mine.pk)
