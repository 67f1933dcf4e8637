"""Data keys: created wrapped, unwrapped, crypto-shredded and re-wrapped by rotation."""

import secrets
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction

from classvault.audit.models import AuditEvent
from classvault.core.home import write_secret_file
from classvault.vault import services
from classvault.vault.exceptions import KeyDestroyed, VaultKeyError
from classvault.vault.keys import kek_id_for, key_provider
from classvault.vault.models import DataKey, Purpose
from classvault.vault.services import (
    data_key_create,
    data_key_destroy,
    data_key_unwrap,
    key_rotate,
)

NOW = datetime.fromisoformat("2026-11-02T10:00:00+01:00")
LATER = NOW + timedelta(hours=1)


def new_master_key(path: Path) -> bytes:
    value = secrets.token_hex(32)
    assert write_secret_file(path, value)
    return bytes.fromhex(value)


@pytest.fixture
def master_key(settings) -> bytes:
    return new_master_key(Path(settings.CLASSVAULT_MASTER_KEY_FILE))


def retire_master_key() -> Path:
    """Retire the current master key the documented way and make a new one."""
    current = Path(django_settings.CLASSVAULT_MASTER_KEY_FILE)
    retired = current.with_name(f"{current.name}.2026-11.retired")
    current.rename(retired)
    new_master_key(current)
    return retired


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def test_a_new_data_key_is_stored_only_wrapped(db, master_key):
    data_key, raw = data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    stored = DataKey.objects.get(pk=data_key.pk)
    assert len(raw) == 32 and raw not in bytes(stored.wrapped)
    assert stored.kek_id == kek_id_for(master_key)
    assert stored.created_at == NOW and stored.destroyed_at is None
    assert data_key_unwrap(data_key=stored) == raw
    [event] = events("vault.key_create")
    assert event.object_id == "rec-1" and event.data["data_key"] == str(data_key.pk)


def test_every_object_gets_its_own_key(db, master_key):
    _, first = data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    _, second = data_key_create(object_id="rec-1", purpose=Purpose.RENDITION, now=NOW)
    assert first != second


@pytest.mark.parametrize("object_id", ["", "../x", "a/b", "a.b", "x" * 65])
def test_unsafe_object_ids_are_refused(db, master_key, object_id):
    with pytest.raises(ValueError):
        data_key_create(object_id=object_id, purpose=Purpose.ORIGINAL, now=NOW)


def test_a_wrapped_key_copied_to_another_row_does_not_unwrap(db, master_key):
    victim, _ = data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    thief, _ = data_key_create(object_id="rec-2", purpose=Purpose.ORIGINAL, now=NOW)
    DataKey.objects.filter(pk=thief.pk).update(wrapped=victim.wrapped)
    with pytest.raises(VaultKeyError):
        data_key_unwrap(data_key=DataKey.objects.get(pk=thief.pk))


def test_a_destroyed_key_cannot_be_unwrapped_and_is_audited(db, master_key):
    data_key, _ = data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    stale = DataKey.objects.get(pk=data_key.pk)
    assert data_key_destroy(data_key=data_key, now=LATER) == 1
    stored = DataKey.objects.get(pk=data_key.pk)
    assert stored.wrapped is None and stored.destroyed_at == LATER
    assert data_key.wrapped is None and data_key.is_destroyed
    for instance in (stored, stale):  # a copy loaded before the shredding cannot revive it
        with pytest.raises(KeyDestroyed):
            data_key_unwrap(data_key=instance)
    [event] = events("vault.key_destroy")
    assert (event.actor, event.object_id, event.at) == ("system", "rec-1", LATER)
    assert event.data == {"data_keys": [{"id": str(data_key.pk), "purpose": "original"}]}


def test_destroying_by_object_destroys_every_purpose_in_one_event(db, master_key):
    for purpose in Purpose:
        data_key_create(object_id="rec-1", purpose=purpose, now=NOW)
    data_key_create(object_id="rec-2", purpose=Purpose.ORIGINAL, now=NOW)
    assert data_key_destroy(object_id="rec-1", now=LATER) == 3
    assert DataKey.objects.filter(destroyed_at__isnull=True).get().object_id == "rec-2"
    [event] = events("vault.key_destroy")
    assert {k["purpose"] for k in event.data["data_keys"]} == set(Purpose.values)


def test_destroying_twice_changes_and_logs_nothing_more(db, master_key):
    data_key, _ = data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    data_key_destroy(object_id="rec-1", now=NOW)
    assert data_key_destroy(object_id="rec-1", now=LATER) == 0
    assert DataKey.objects.get(pk=data_key.pk).destroyed_at == NOW
    assert len(events("vault.key_destroy")) == 1


def test_the_database_refuses_a_destroyed_key_that_keeps_its_wrapping(db, master_key):
    data_key, _ = data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        DataKey.objects.filter(pk=data_key.pk).update(destroyed_at=NOW)


def test_rotation_rewraps_every_live_key_under_the_new_master_key(db, master_key):
    created = [
        data_key_create(object_id=f"rec-{i}", purpose=Purpose.ORIGINAL, now=NOW) for i in range(5)
    ]
    gone, _ = data_key_create(object_id="rec-x", purpose=Purpose.ORIGINAL, now=NOW)
    data_key_destroy(data_key=gone, now=NOW)
    rotated = retire_master_key()
    new_id = key_provider().current_kek_id
    assert key_rotate(now=LATER, batch_size=2) == 5
    live = DataKey.objects.filter(destroyed_at__isnull=True)
    assert set(live.values_list("kek_id", flat=True)) == {new_id}
    assert DataKey.objects.get(pk=gone.pk).wrapped is None
    batches = events("vault.key_rotate")
    assert [e.data["count"] for e in batches] == [2, 2, 1]
    assert all(e.data["from_keks"] == [kek_id_for(master_key)] for e in batches)
    # Once every key is re-wrapped the retired master key can go, and all still unwraps.
    rotated.unlink()
    for data_key, raw in created:
        assert data_key_unwrap(data_key=DataKey.objects.get(pk=data_key.pk)) == raw


def test_rotation_is_idempotent(db, master_key):
    data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    retire_master_key()
    assert key_rotate(now=NOW) == 1
    assert key_rotate(now=LATER) == 0
    assert len(events("vault.key_rotate")) == 1


def test_an_interrupted_rotation_keeps_finished_batches_and_resumes(db, master_key, monkeypatch):
    created = [
        data_key_create(object_id=f"rec-{i}", purpose=Purpose.ORIGINAL, now=NOW) for i in range(5)
    ]
    retire_master_key()
    real = key_provider()
    calls = {"wrap": 0}

    class Crashing:
        current_kek_id = real.current_kek_id
        unwrap = staticmethod(real.unwrap)

        @staticmethod
        def wrap(data_key, context):
            calls["wrap"] += 1
            if calls["wrap"] == 4:  # in the middle of the second batch
                raise RuntimeError("worker killed")
            return real.wrap(data_key, context)

    monkeypatch.setattr(services, "key_provider", lambda: Crashing())
    with pytest.raises(RuntimeError):
        key_rotate(now=NOW, batch_size=3)
    assert DataKey.objects.filter(kek_id=real.current_kek_id).count() == 3
    assert len(events("vault.key_rotate")) == 1
    monkeypatch.undo()
    assert key_rotate(now=LATER, batch_size=3) == 2
    for data_key, raw in created:
        assert data_key_unwrap(data_key=DataKey.objects.get(pk=data_key.pk)) == raw


def test_before_rotation_the_retired_key_still_unwraps(db, master_key):
    data_key, raw = data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    retire_master_key()
    assert data_key_unwrap(data_key=data_key) == raw


def test_rotation_stops_loudly_when_an_old_master_key_is_missing(db, master_key):
    data_key_create(object_id="rec-1", purpose=Purpose.ORIGINAL, now=NOW)
    retire_master_key().unlink()
    with pytest.raises(VaultKeyError, match=kek_id_for(master_key)):
        key_rotate(now=NOW)
