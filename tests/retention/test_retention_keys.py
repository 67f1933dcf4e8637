"""Retention keys: the layer between the master key and the data keys, kept as files outside
the database, made when first needed and destroyed with the last data key under them."""

import stat
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import TestCase

from classvault.audit.models import AuditEvent
from classvault.core.home import write_secret_file
from classvault.vault.exceptions import KeyDestroyed, VaultKeyError
from classvault.vault.keys import key_provider
from classvault.vault.models import DataKey, RetentionKey
from classvault.vault.retention_keys import (
    retention_key_destroy,
    retention_key_ensure,
    retention_key_files_reshred,
    retention_key_folder,
    retention_key_load,
    retention_keys_rotate,
)
from classvault.vault.services import (
    data_key_create,
    data_key_destroy,
    data_key_unwrap,
    data_keys_rewrap,
    key_rotate,
    vault_store,
)
from support.personas import NOW
from support.recordings import ORIGINAL, make_recording
from support.vault import key_files, plaintext


def make(label: str):
    with transaction.atomic():
        return retention_key_ensure(label=label, now=NOW)


def test_a_new_key_is_a_private_file_holding_it_only_wrapped(vault_home, db):
    ring = make("d-20270502")
    path = vault_home / "retention-keys" / "d-20270502.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    row = RetentionKey.objects.get(label="d-20270502")
    assert row.key_id == ring.current_kek_id and row.destroyed_at is None
    wrapped = bytes.fromhex(path.read_text())
    assert wrapped[1:5].hex() == key_provider().current_kek_id  # wrapped by the master key
    assert AuditEvent.objects.get(action="vault.retention_key_create").object_id == "d-20270502"
    assert make("d-20270502").current_kek_id == ring.current_kek_id  # loaded, not remade


def test_objects_that_are_not_recordings_stay_under_the_master_key(vault_home, db):
    data_key, _ = data_key_create(object_id="rec-1", purpose="original", now=NOW)
    assert data_key.retention_key == "" and data_key.kek_id == key_provider().current_kek_id


def test_an_upload_waits_under_its_own_key_and_a_recordings_keys_under_its_day(world, vault_home):
    recording = make_recording(world.student, recorded_at=NOW)
    epochs = dict(
        DataKey.objects.filter(object_id=str(recording.pk)).values_list("purpose", "retention_key")
    )
    assert epochs == {
        "original": f"o-{recording.pk}",
        "rendition": "d-20270502",
        "poster": "d-20270502",
    }
    assert plaintext(recording.pk) == ORIGINAL


def test_a_key_is_not_destroyed_while_a_live_data_key_needs_it(vault_home, db):
    data_key, _ = data_key_create(
        object_id="rec-1", purpose="original", now=NOW, retention_key="d-20270502"
    )
    assert retention_key_destroy(label="d-20270502", now=NOW) is False
    with TestCase.captureOnCommitCallbacks(execute=True):
        data_key_destroy(data_key=data_key, now=NOW)  # the last one: the key goes with it
    row = RetentionKey.objects.get(label="d-20270502")
    assert row.destroyed_at == NOW
    assert key_files(vault_home) == []
    with pytest.raises(KeyDestroyed):
        retention_key_load(label="d-20270502")
    [event] = AuditEvent.objects.filter(action="vault.retention_key_destroy")
    assert event.data == {"key_id": row.key_id}


def test_a_label_used_again_gets_fresh_key_material(vault_home, db):
    first, _ = data_key_create(
        object_id="rec-1", purpose="original", now=NOW, retention_key="d-20270502"
    )
    old_wrapped, old_id = bytes(first.wrapped), first.kek_id
    with TestCase.captureOnCommitCallbacks(execute=True):
        data_key_destroy(data_key=first, now=NOW)
    second, raw = data_key_create(
        object_id="rec-2", purpose="original", now=NOW, retention_key="d-20270502"
    )
    assert second.kek_id != old_id
    assert data_key_unwrap(data_key=second) == raw
    with pytest.raises(VaultKeyError):  # the old wrapping does not open under the new key
        retention_key_load(label="d-20270502").unwrap(old_wrapped, first.wrap_context)


def test_a_missing_file_is_a_loud_error_and_never_silently_replaced(vault_home, db):
    data_key, _ = data_key_create(
        object_id="rec-1", purpose="original", now=NOW, retention_key="d-20270502"
    )
    (vault_home / "retention-keys" / "d-20270502.key").unlink()
    with pytest.raises(VaultKeyError, match="retention-keys"):
        data_key_unwrap(data_key=data_key)
    with pytest.raises(VaultKeyError), transaction.atomic():
        data_key_create(object_id="rec-2", purpose="original", now=NOW, retention_key="d-20270502")
    assert key_files(vault_home) == []


def test_a_damaged_or_foreign_file_does_not_unwrap(vault_home, db, tmp_path):
    data_key, _ = data_key_create(
        object_id="rec-1", purpose="original", now=NOW, retention_key="d-20270502"
    )
    path = vault_home / "retention-keys" / "d-20270502.key"
    path.write_text("00" * 10)
    with pytest.raises(VaultKeyError, match="damaged"):
        data_key_unwrap(data_key=data_key)
    path.unlink()
    make("d-20270601")  # another label's file put in its place does not fit
    (vault_home / "retention-keys" / "d-20270601.key").rename(path)
    with pytest.raises(VaultKeyError):
        data_key_unwrap(data_key=data_key)


def test_reshredding_removes_files_of_destroyed_keys_only(vault_home, db):
    make("d-20270502")
    make("d-20270503")
    saved = (vault_home / "retention-keys" / "d-20270502.key").read_bytes()
    retention_key_destroy(label="d-20270502", now=NOW)  # the file stays until commit...
    (vault_home / "retention-keys" / "d-20270502.key").write_bytes(saved)  # or is restored
    (vault_home / "retention-keys" / "x-unknown.key").write_text("ab")  # not ours: left alone
    assert retention_key_files_reshred() == 1
    assert key_files(vault_home) == ["d-20270503.key", "x-unknown.key"]


def test_moving_keys_rewraps_without_touching_the_data(vault_home, db):
    data_key, raw = data_key_create(
        object_id="rec-1", purpose="original", now=NOW, retention_key="d-20270502"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert data_keys_rewrap(object_id="rec-1", retention_key="d-20270101", now=NOW) == 1
        assert data_keys_rewrap(object_id="rec-1", retention_key="d-20270101", now=NOW) == 0
    moved = DataKey.objects.get(pk=data_key.pk)
    assert moved.retention_key == "d-20270101" and data_key_unwrap(data_key=moved) == raw
    assert RetentionKey.objects.get(label="d-20270502").destroyed_at is not None
    [event] = AuditEvent.objects.filter(action="vault.key_rewrap")
    assert event.data == {"count": 1, "from": ["d-20270502"], "to": "d-20270101"}
    assert data_keys_rewrap(object_id="rec-1", retention_key="", now=NOW) == 1  # back to the master
    assert data_key_unwrap(data_key=DataKey.objects.get(pk=data_key.pk)) == raw


def test_master_key_rotation_rewraps_the_key_files(vault_home, db):
    data_key, raw = data_key_create(
        object_id="rec-1", purpose="original", now=NOW, retention_key="d-20270502"
    )
    current = Path(django_settings.CLASSVAULT_MASTER_KEY_FILE)
    retired = current.with_name("master.key.2027-01.retired")
    current.rename(retired)
    write_secret_file(current, uuid.uuid4().hex * 2)
    assert key_rotate(now=NOW + timedelta(hours=1)) == 0  # no data key under the master key
    assert retention_keys_rotate(now=NOW) == 0  # key_rotate did the files already
    assert AuditEvent.objects.get(action="vault.retention_key_rotate").data["count"] == 1
    retired.unlink()
    assert data_key_unwrap(data_key=data_key) == raw


def test_the_folder_can_be_placed_elsewhere(settings, vault_home, db, tmp_path):
    settings.CLASSVAULT_RETENTION_KEY_DIR = str(tmp_path / "kms-mount")
    make("d-20270502")
    assert retention_key_folder().root == tmp_path / "kms-mount"
    assert (tmp_path / "kms-mount" / "d-20270502.key").exists()


def test_labels_are_checked(vault_home, db):
    with pytest.raises(ValueError), transaction.atomic():
        retention_key_ensure(label="../etc", now=NOW)


def test_a_store_for_a_recording_id_wraps_under_its_day_once_it_exists(world, vault_home):
    recording = make_recording(world.student, recorded_at=NOW)
    stored = vault_store(object_id=str(recording.pk), purpose="poster", chunks=[b"new"], now=NOW)
    assert DataKey.objects.get(pk=stored.data_key_id).retention_key == "d-20270502"


def test_a_caller_may_give_an_object_a_key_of_its_own(vault_home, db):
    from classvault.vault.retention_keys import object_retention_key
    from classvault.vault.services import vault_shred

    part = "0123456789abcdef0123456789abcdef-p00001"  # e.g. a chunk of a resumable upload
    stored = vault_store(
        object_id=part,
        purpose="original",
        chunks=[b"chunk"],
        now=NOW,
        retention_key=object_retention_key(part),
    )
    assert DataKey.objects.get(pk=stored.data_key_id).retention_key == f"o-{part}"
    with TestCase.captureOnCommitCallbacks(execute=True):
        vault_shred(object_id=part, now=NOW)
    assert RetentionKey.objects.get(label=f"o-{part}").destroyed_at == NOW
    assert key_files(vault_home) == []


def test_a_key_destroyed_and_needed_again_in_one_transaction_keeps_its_new_file(vault_home, db):
    # E.g. a recompute moves one recording out of 2 May and another into it.
    leaving, _ = data_key_create(
        object_id="rec-1", purpose="original", now=NOW, retention_key="d-20270502"
    )
    arriving, raw = data_key_create(
        object_id="rec-2", purpose="original", now=NOW, retention_key="d-20270101"
    )
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        data_keys_rewrap(object_id="rec-1", retention_key="d-20270601", now=NOW)  # 2 May destroyed
        data_keys_rewrap(object_id="rec-2", retention_key="d-20270502", now=NOW)  # ...and made anew
    assert RetentionKey.objects.get(label="d-20270502").destroyed_at is None
    assert data_key_unwrap(data_key=DataKey.objects.get(pk=arriving.pk)) == raw
    assert key_files(vault_home) == ["d-20270502.key", "d-20270601.key"]
