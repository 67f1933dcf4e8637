"""A stream racing a deletion or a withdrawal (issue 9, 12e and 12f).

A playback that already started must stop when the recording is blocked or deleted
meanwhile, and a deletion between finding the key and unwrapping it is a 404, not a 500.
"""

from datetime import timedelta

import pytest
from django.test import TestCase

from classvault.consent.services import consent_withdraw
from classvault.recordings.models import Recording, RecordingStatus
from classvault.retention import services
from classvault.vault import selectors as vault_selectors
from classvault.vault.models import DataKey, Purpose
from classvault.vault.services import vault_discard, vault_store
from support.personas import TODAY, login
from support.recordings import make_recording

SEGMENT = 1024  # small segments: a tiny test video still spans many of them


@pytest.fixture
def ready(studio, small_video):
    """A ready recording whose rendition is re-stored in small segments."""
    recording_id = str(
        make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk]).pk
    )
    plain = b"".join(_open(login("sanne"), recording_id).streaming_content)
    old = DataKey.objects.get(
        object_id=recording_id, purpose=Purpose.RENDITION, destroyed_at__isnull=True
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        vault_discard(data_key=old, now=TODAY)
    vault_store(
        object_id=recording_id,
        purpose=Purpose.RENDITION,
        chunks=[plain],
        now=TODAY,
        segment_size=SEGMENT,
    )
    assert len(plain) > 12 * SEGMENT
    studio.plain = plain
    return recording_id


def _open(api, recording_id):
    response = api.client.get(
        f"/api/v1/recordings/{recording_id}/stream",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 200, response.content
    return response


def test_an_undisturbed_stream_is_whole(studio, ready):
    assert b"".join(_open(login("sanne"), ready).streaming_content) == studio.plain


def test_a_withdrawal_stops_a_stream_in_flight(studio, ready):
    pieces = iter(_open(login("sanne"), ready).streaming_content)
    received = next(pieces) + next(pieces)
    consent_withdraw(
        actor=studio.school_admin,
        pupil_id=str(studio.pupils.ada.pk),
        scope="all",
        by="guardian",
        signer_name="Ouder van Ada",
        verified_in_person=True,
        on=TODAY.date(),
        now=TODAY,
    )
    assert Recording.objects.get(pk=ready).status == RecordingStatus.BLOCKED
    received += b"".join(pieces)
    assert len(received) < len(studio.plain)
    assert len(received) <= 6 * SEGMENT  # stopped within a few segments
    assert studio.plain.startswith(received)


def test_a_deletion_stops_a_stream_in_flight(studio, ready):
    pieces = iter(_open(login("sanne"), ready).streaming_content)
    received = next(pieces)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.recording_delete(
            actor=studio.student,
            recording=Recording.objects.get(pk=ready),
            now=TODAY + timedelta(minutes=1),
        )
    received += b"".join(pieces)
    assert len(received) < len(studio.plain)


def test_a_deletion_between_finding_and_unwrapping_the_key_is_404(studio, ready, monkeypatch):
    """The key is destroyed by a real delete after the stream found it, before it unwraps."""
    unwrap = vault_selectors.data_key_unwrap

    def delete_first(*, data_key):
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.recording_delete(
                actor=studio.student,
                recording=Recording.objects.get(pk=ready),
                now=TODAY + timedelta(minutes=1),
            )
        return unwrap(data_key=data_key)

    monkeypatch.setattr(vault_selectors, "data_key_unwrap", delete_first)
    api = login("sanne")
    response = api.client.get(
        f"/api/v1/recordings/{ready}/stream", headers={"Authorization": f"Bearer {api.token}"}
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
