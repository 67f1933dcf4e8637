"""The sweep works set-based: a batch of expired recordings costs a fixed number of queries
and one transaction, yet records exactly what one deletion per recording recorded."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from classvault.audit.models import AuditEvent
from classvault.audit.selectors import audit_verify
from classvault.recordings.models import Recording, RecordingPupil
from classvault.retention.models import Tombstone, TombstonePupil
from classvault.retention.services import legal_hold_place
from classvault.vault.models import DataKey, RetentionKey
from support.personas import NOW
from support.recordings import make_recording
from support.vault import blob_files, sweep


def make_some(world, count, *, start=0):
    # Several on one day: they share their day's retention key.
    return [
        make_recording(
            world.student,
            recorded_at=NOW - timedelta(days=10 + (start + i) // 2),
            pupils=[world.pupils.ada.pk, world.pupils.bram.pk],
        )
        for i in range(count)
    ]


def test_a_batch_records_one_event_per_recording_and_keeps_the_chain(studio, vault_home):
    world = studio
    made = make_some(world, 5)
    held = make_some(world, 1, start=5)[0]
    legal_hold_place(
        actor=world.privacy, recording=held, reason="Vordering", reference="OM-1", now=NOW
    )
    now = max(r.expires_at for r in made + [held])
    assert sorted(sweep(now)) == sorted(str(r.pk) for r in made)
    assert Recording.objects.filter(pk=held.pk).exists()  # under hold: left alone
    for recording in made:
        rid = str(recording.pk)
        [delete] = AuditEvent.objects.filter(action="recording.delete", object_id=rid)
        [keys] = AuditEvent.objects.filter(action="vault.key_destroy", object_id=rid)
        assert keys.seq < delete.seq  # its keys went first
        assert (delete.actor, delete.purpose) == ("system", "retention")
        assert delete.data == {"reason": "expired", "expires_at": recording.expires_at.isoformat()}
        assert len(keys.data["data_keys"]) == 3
        assert not DataKey.objects.filter(object_id=rid, destroyed_at__isnull=True).exists()
        assert Tombstone.objects.get(pk=rid).blobs_cleared_at == now
        assert set(
            TombstonePupil.objects.filter(tombstone_id=rid).values_list("pupil_id", flat=True)
        ) == {world.pupils.ada.pk, world.pupils.bram.pk}
    # The day keys went with their last data key; the held recording's own key stays.
    assert not RetentionKey.objects.filter(
        label__startswith="d-", destroyed_at__isnull=True
    ).exists()
    assert {p.parent.name for p in blob_files(vault_home)} == {str(held.pk)}
    result = audit_verify()
    assert result.broken is None and result.checked == AuditEvent.objects.count()


def rows_only(world, count):
    """Recordings without keys or blobs, like the country-scale benchmark's seed: what is
    left to measure is the database side of the sweep (rows, tombstones, audit chain)."""
    made = []
    for i in range(count):
        recording = Recording.objects.create(
            owner=world.student,
            school=world.north,
            title="Rekenles",
            recorded_at=NOW,
            created_at=NOW,
            status="ready",
            expires_at=NOW + timedelta(days=1, minutes=i),
        )
        RecordingPupil.objects.create(recording=recording, pupil=world.pupils.ada)
        made.append(recording)
    return made


def test_the_queries_of_a_batch_do_not_grow_with_its_recordings(studio, vault_home):
    rows_only(studio, 2)
    with CaptureQueriesContext(connection) as two:
        assert len(sweep(NOW + timedelta(days=2))) == 2
    rows_only(studio, 20)
    with CaptureQueriesContext(connection) as twenty:
        assert len(sweep(NOW + timedelta(days=2))) == 20
    assert len(twenty.captured_queries) == len(two.captured_queries)
    assert TombstonePupil.objects.filter(pupil_id=studio.pupils.ada.pk).count() == 22
