"""Storing, opening and shredding whole objects: the helpers recordings build on."""

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db import transaction

from classvault.audit.models import AuditEvent
from classvault.core.home import write_secret_file
from classvault.vault.blobs import blob_store
from classvault.vault.exceptions import KeyDestroyed, VaultIntegrityError, VaultNotFound
from classvault.vault.models import DataKey, Purpose
from classvault.vault.segments import ciphertext_size_for
from classvault.vault.selectors import data_key_get_live, vault_open
from classvault.vault.services import data_key_unwrap, vault_discard, vault_shred, vault_store

NOW = datetime.fromisoformat("2026-11-02T10:00:00+01:00")
LATER = NOW + timedelta(minutes=5)
SEG = 64
MARKER = b"PUPIL-FACE-" * 40


@pytest.fixture(autouse=True)
def master_key(settings) -> None:
    write_secret_file(Path(settings.CLASSVAULT_MASTER_KEY_FILE), secrets.token_hex(32))


def store(object_id="rec-1", purpose=Purpose.ORIGINAL, data=MARKER, now=NOW, chunk=50):
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return vault_store(
        object_id=object_id, purpose=purpose, chunks=chunks, now=now, segment_size=SEG
    )


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_stored_object_reads_back_whole_and_by_range(db):
    stored = store()
    assert stored.plaintext_size == len(MARKER)
    assert stored.ciphertext_size == ciphertext_size_for(len(MARKER), SEG)
    assert blob_store().size(stored.blob_name) == stored.ciphertext_size
    with vault_open(object_id="rec-1", purpose=Purpose.ORIGINAL) as reader:
        assert reader.plaintext_size == len(MARKER)
        assert reader.read_all() == MARKER
        assert reader.read_range(100, 300) == MARKER[100:301]


def test_plaintext_never_reaches_the_disk(db, settings):
    store()
    written = b"".join(p.read_bytes() for p in files_under(Path(settings.CLASSVAULT_HOME)))
    assert b"PUPIL-FACE" not in written


def test_purposes_are_separate_objects_and_cannot_stand_in_for_each_other(db):
    original = store(purpose=Purpose.ORIGINAL, data=b"original bytes")
    rendition = store(purpose=Purpose.RENDITION, data=b"rendition bytes")
    assert original.data_key_id != rendition.data_key_id
    # Put the rendition's blob where the original's should be: the original's key and id
    # refuse it.
    blobs = blob_store()
    with blobs.open_range(rendition.blob_name) as blob:
        swapped = blob.read(0, blob.size)
    blobs.put_stream(original.blob_name, [swapped])
    with pytest.raises(VaultIntegrityError):
        vault_open(object_id="rec-1", purpose=Purpose.ORIGINAL).read_all()


def test_the_newest_object_of_a_purpose_wins(db):
    store(purpose=Purpose.RENDITION, data=b"first try")
    store(purpose=Purpose.RENDITION, data=b"second try", now=LATER)
    with vault_open(object_id="rec-1", purpose=Purpose.RENDITION) as reader:
        assert reader.read_all() == b"second try"


def test_an_upload_that_breaks_off_leaves_nothing(db, settings):
    def broken():
        yield MARKER
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        vault_store(object_id="rec-1", purpose=Purpose.ORIGINAL, chunks=broken(), now=NOW)
    assert not DataKey.objects.exists()
    assert files_under(Path(settings.CLASSVAULT_HOME) / "blobs") == []


def test_opening_something_never_stored_is_not_found(db):
    with pytest.raises(VaultNotFound):
        vault_open(object_id="rec-404", purpose=Purpose.ORIGINAL)


def test_shredding_destroys_keys_then_blobs_and_is_audited(db, django_capture_on_commit_callbacks):
    stored = [store(purpose=p) for p in Purpose]
    store(object_id="rec-2")
    blobs = blob_store()
    with django_capture_on_commit_callbacks() as callbacks:
        assert vault_shred(object_id="rec-1", now=LATER) == 3
        # The keys are gone before any blob is touched.
        assert not DataKey.objects.filter(object_id="rec-1", destroyed_at__isnull=True).exists()
        assert all(blobs.exists(s.blob_name) for s in stored)
    for callback in callbacks:
        callback()
    assert not any(blobs.exists(s.blob_name) for s in stored)
    survivor = data_key_get_live(object_id="rec-2", purpose=Purpose.ORIGINAL)
    assert list(blobs.names()) == [survivor.blob_name]
    with pytest.raises(VaultNotFound):
        vault_open(object_id="rec-1", purpose=Purpose.ORIGINAL)
    [event] = AuditEvent.objects.filter(action="vault.key_destroy")
    assert event.object_id == "rec-1" and len(event.data["data_keys"]) == 3


def test_a_shred_interrupted_after_the_keys_is_finished_by_running_it_again(
    db, django_capture_on_commit_callbacks
):
    stored = store()
    data_key = DataKey.objects.get(pk=stored.data_key_id)
    with django_capture_on_commit_callbacks(execute=False):
        vault_shred(object_id="rec-1", now=NOW)  # the process dies before deleting blobs
    assert blob_store().exists(stored.blob_name)
    with pytest.raises(VaultNotFound):  # what is left can no longer be read
        vault_open(object_id="rec-1", purpose=Purpose.ORIGINAL)
    with pytest.raises(KeyDestroyed):
        data_key_unwrap(data_key=data_key)
    with django_capture_on_commit_callbacks(execute=True):
        assert vault_shred(object_id="rec-1", now=LATER) == 0
    assert list(blob_store().names()) == []
    assert AuditEvent.objects.filter(action="vault.key_destroy").count() == 1


def test_shredding_removes_an_orphan_blob_whose_key_was_never_stored(
    db, django_capture_on_commit_callbacks
):
    blob_store().put_stream("rec-1/original.0123.cv", [os.urandom(200)])
    with django_capture_on_commit_callbacks(execute=True):
        assert vault_shred(object_id="rec-1", now=NOW) == 0
    assert list(blob_store().names()) == []


def test_a_shred_rolled_back_by_its_caller_keeps_keys_and_blobs(
    db, django_capture_on_commit_callbacks
):
    stored = store()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            vault_shred(object_id="rec-1", now=NOW)
            raise RuntimeError("legal hold found after all")
    assert callbacks == []
    assert blob_store().exists(stored.blob_name)
    with vault_open(object_id="rec-1", purpose=Purpose.ORIGINAL) as reader:
        assert reader.read_all() == MARKER


def test_discarding_a_superseded_object_keeps_the_new_one(db, django_capture_on_commit_callbacks):
    old = store(purpose=Purpose.RENDITION, data=b"with faces")
    new = store(purpose=Purpose.RENDITION, data=b"blurred", now=LATER)
    with django_capture_on_commit_callbacks(execute=True):
        vault_discard(data_key=DataKey.objects.get(pk=old.data_key_id), now=LATER)
    assert not blob_store().exists(old.blob_name)
    assert blob_store().exists(new.blob_name)
    with vault_open(object_id="rec-1", purpose=Purpose.RENDITION) as reader:
        assert reader.read_all() == b"blurred"
