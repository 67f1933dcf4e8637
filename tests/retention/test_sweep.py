"""The sweep deletes every expired recording not under legal hold: keys first, then rows,
then blobs; one audit event each; the API answers 404 afterwards; a second run is a no-op."""

from datetime import datetime, timedelta

import pytest
from django.test import TestCase

from classvault.audit.models import AuditEvent
from classvault.cli import main
from classvault.core.time import AMSTERDAM
from classvault.recordings.models import Recording, RecordingPupil
from classvault.retention.models import Tombstone
from classvault.retention.services import legal_hold_place, retention_keys_sync
from classvault.sharing.models import Share
from classvault.vault.exceptions import KeyDestroyed, VaultNotFound
from classvault.vault.models import DataKey, RetentionKey
from classvault.vault.selectors import vault_open
from support.personas import NOW, login
from support.recordings import ORIGINAL, make_recording
from support.vault import blob_files, key_files, plaintext, retention_keys_of, sweep

# A recording made at NOW (2 November 2026, 10:00) expires six months later at 10:00 local.
EXPIRY = datetime(2027, 5, 2, 10, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def ready(studio, small_video):
    """A real recording through the API, shared with a trainer, with a pupil present."""
    api = login("sanne")
    recording_id = str(
        make_recording(studio.student, video=small_video, api=api, pupils=[studio.pupils.ada.pk]).pk
    )
    assert api.post(f"/recordings/{recording_id}/shares", {"username": "tom"}).status_code == 201
    return recording_id


def test_an_expired_recording_is_gone_and_the_api_answers_404(studio, ready, vault_home):
    assert Recording.objects.get(pk=ready).expires_at == EXPIRY
    assert blob_files(vault_home)
    assert sweep(EXPIRY) == [ready]
    for user in ("sanne", "tom", "mira", "piet"):
        api = login(user)
        assert api.get(f"/recordings/{ready}").status_code == 404
        assert api.get(f"/recordings/{ready}/stream").status_code == 404
        assert ready not in [r["id"] for r in api.get("/recordings").json()]
    assert blob_files(vault_home) == []


def test_keys_are_destroyed_and_every_row_of_the_recording_goes(studio, ready):
    sweep(EXPIRY)
    keys = DataKey.objects.filter(object_id=ready)
    assert keys.count() == 3 and all(k.wrapped is None and k.destroyed_at == EXPIRY for k in keys)
    with pytest.raises((KeyDestroyed, VaultNotFound)):
        vault_open(object_id=ready, purpose="rendition")
    assert not RecordingPupil.objects.filter(recording_id=ready).exists()
    assert not Share.objects.filter(recording_id=ready).exists()
    # Whatever hangs off a recording (comments, screenings, reminders, ...) goes with it.
    for relation in Recording._meta.related_objects:
        assert not relation.related_model.objects.filter(
            **{relation.field.name + "_id": ready}
        ).exists(), relation.related_model
    tombstone = Tombstone.objects.get(pk=ready)
    assert tombstone.reason == "expired" and tombstone.blobs_cleared_at == EXPIRY


def test_one_audit_event_per_recording_by_system_after_its_key_destruction(studio, ready):
    sweep(EXPIRY)
    [event] = AuditEvent.objects.filter(action="recording.delete", object_id=ready)
    assert (event.actor, event.purpose, event.at) == ("system", "retention", EXPIRY)
    assert event.data["reason"] == "expired"
    key_event = AuditEvent.objects.get(action="vault.key_destroy", object_id=ready)
    assert key_event.seq < event.seq  # the key went first


def test_the_original_moves_to_its_day_key_when_the_recording_is_created(studio, ready, vault_home):
    # Encrypted while it arrived, under a key of its own; creating the recording (and so
    # knowing its expiry) moved it under the key of its expiry day at once.
    assert DataKey.objects.get(object_id=ready, purpose="original").retention_key == "d-20270502"
    assert retention_keys_of(ready) == {"d-20270502"}
    assert RetentionKey.objects.get(label=f"o-{ready}").destroyed_at is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert retention_keys_sync(now=NOW) == 0
    assert key_files(vault_home) == ["d-20270502.key"]
    assert plaintext(ready, "rendition")


def test_the_day_retention_key_goes_with_the_last_recording_of_that_day(studio, ready, vault_home):
    later_that_day = make_recording(studio.student, recorded_at=NOW + timedelta(hours=5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        retention_keys_sync(now=NOW)
    assert retention_keys_of(ready) == retention_keys_of(later_that_day.pk) == {"d-20270502"}
    assert key_files(vault_home) == ["d-20270502.key"]
    assert sweep(EXPIRY) == [ready]
    # The other recording of 2 May still needs the key.
    assert RetentionKey.objects.get(label="d-20270502").destroyed_at is None
    assert plaintext(later_that_day.pk) == ORIGINAL
    assert sweep(later_that_day.expires_at) == [str(later_that_day.pk)]
    assert RetentionKey.objects.get(label="d-20270502").destroyed_at == later_that_day.expires_at
    assert key_files(vault_home) == []
    [event] = AuditEvent.objects.filter(
        action="vault.retention_key_destroy", object_id="d-20270502"
    )
    assert event.actor == "system"


def test_a_second_sweep_finds_nothing_and_logs_nothing(studio, ready):
    assert sweep(EXPIRY) == [ready]
    others = AuditEvent.objects.exclude(action="vault.retention_key_destroy")
    events = others.count()
    assert sweep(EXPIRY) == []
    assert sweep(EXPIRY + timedelta(days=2)) == []  # only the day's key goes now
    assert others.count() == events


def test_only_expired_recordings_go_and_oldest_first(world, vault_home):
    early = make_recording(world.student, recorded_at=NOW - timedelta(days=40))
    late = make_recording(world.student, recorded_at=NOW - timedelta(days=20))
    young = make_recording(world.student, recorded_at=NOW)
    assert sweep(late.expires_at) == [str(early.pk), str(late.pk)]
    assert list(Recording.objects.values_list("pk", flat=True)) == [young.pk]


def test_a_held_recording_is_skipped_by_the_sweep(world, vault_home):
    held = make_recording(world.student, recorded_at=NOW)
    other = make_recording(world.student, recorded_at=NOW)
    legal_hold_place(
        actor=world.privacy, recording=held, reason="Vordering OM", reference="OM-2027-113", now=NOW
    )
    assert sweep(held.expires_at + timedelta(days=30)) == [str(other.pk)]
    assert Recording.objects.filter(pk=held.pk).exists()


def test_a_failed_recording_row_is_deleted_too(world, vault_home):
    failed = make_recording(world.student, recorded_at=NOW, status="failed")
    assert sweep(failed.expires_at) == [str(failed.pk)]


def test_classvault_sweep_prints_one_line_per_deleted_id_and_nothing_else(
    world, vault_home, capsys
):
    first = make_recording(world.student, recorded_at=NOW - timedelta(days=20))
    second = make_recording(world.student, recorded_at=NOW - timedelta(days=10))
    make_recording(world.student, recorded_at=NOW)
    now = second.expires_at.isoformat()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert main(["sweep", "--now", now]) == 0
    assert capsys.readouterr().out == f"{first.pk}\n{second.pk}\n"
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert main(["sweep", "--now", now]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "value", ["2027-05-02", "2027-05-02T10:00:00", "2027-05-02T08:00Z", "2027-05-02T10:00:00+02:00"]
)
def test_sweep_now_accepts_dates_and_instants(world, vault_home, capsys, value):
    recording = make_recording(world.student, recorded_at=NOW.replace(hour=0, minute=0))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert main(["sweep", "--now", value]) == 0
    assert capsys.readouterr().out == f"{recording.pk}\n"


def test_sweep_now_refuses_what_is_not_an_instant(world, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", "--now", "next tuesday"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "ISO-8601" in captured.err


def test_small_batches_reach_every_recording_past_held_ones(world, vault_home):
    made = [
        make_recording(world.student, recorded_at=NOW - timedelta(days=10 * i)) for i in range(5)
    ]
    legal_hold_place(
        actor=world.privacy, recording=made[2], reason="Vordering", reference="", now=NOW
    )
    deleted = sweep(made[0].expires_at, batch_size=2)
    assert sorted(deleted) == sorted(str(r.pk) for r in made if r is not made[2])
    assert list(Recording.objects.values_list("pk", flat=True)) == [made[2].pk]


def test_deleting_by_hand_runs_the_same_steps_with_the_person_as_actor(studio, ready, vault_home):
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert login("mira").delete(f"/recordings/{ready}").status_code == 204
    tombstone = Tombstone.objects.get(pk=ready)
    assert tombstone.reason == "deleted" and tombstone.blobs_cleared_at is not None
    [event] = AuditEvent.objects.filter(action="recording.delete", object_id=ready)
    assert (event.actor, event.data["reason"]) == ("mira", "deleted")
    assert blob_files(vault_home) == [] and key_files(vault_home) == []
    assert sweep(EXPIRY) == []
