"""Recordings for tests: one builder, and the upload request it can go through.

:func:`make_recording` builds a recording in one of two ways. With ``video`` it goes the
whole way a student teacher's upload goes (the real API, then processing to ready, media
work included): for tests of what people see and stream. Without, it writes the rows
directly and stores real encrypted objects in the vault (no media work), the way an upload
leaves them: for tests of retention, expiry and keys, where speed counts.
"""

import json
import uuid
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from classvault.recordings.models import Recording, RecordingPupil, RecordingStatus
from classvault.recordings.processing import recording_process
from classvault.recordings.rules import expiry_for
from classvault.vault.models import Purpose
from classvault.vault.services import vault_store
from support.personas import NOW, TODAY, Api, login

# The plaintext original of a recording built without video.
ORIGINAL = b"a lesson on fractions, with pizza " * 8


def upload(
    api: Api,
    video: bytes,
    *,
    title="Rekenles groep 5",
    recorded_at=None,
    pupils=(),
    attest=None,
    filename="les.mp4",
):
    """POST /recordings as ``api``'s user; the response, for tests of the upload itself."""
    data = {
        "file": SimpleUploadedFile(filename, video, content_type="video/mp4"),
        "title": title,
        "recorded_at": recorded_at or NOW.isoformat(),
        "pupils": json.dumps([str(p) for p in pupils]),
    }
    if attest is not None:
        data["attest_out_of_view"] = json.dumps([str(p) for p in attest])
    headers = {"Authorization": f"Bearer {api.token}"} if api.token else {}
    # Run what the request defers to its commit (blob deletion, queueing), as production does.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.client.post("/api/v1/recordings", data=data, headers=headers)


def make_recording(
    owner,
    *,
    video: bytes | None = None,
    api: Api | None = None,
    title: str | None = None,
    recorded_at: datetime | str | None = None,
    pupils=(),
    attest=None,
    now: datetime | None = None,
    status: str = RecordingStatus.READY,
) -> Recording:
    """A recording of ``owner`` (a student teacher with an enrolment), ready unless told.

    With ``video``: uploaded through the API (as ``api``, else as the owner logged in) and
    processed at TODAY, the wall clock of the ``frozen`` fixture. Without: written directly,
    recorded at ``recorded_at`` (NOW unless told) and created at ``now``.
    """
    if video is not None:
        response = upload(
            api or login(owner.username),
            video,
            recorded_at=recorded_at,
            pupils=pupils,
            attest=attest,
            **({"title": title} if title is not None else {}),
        )
        assert response.status_code == 201, response.content
        recording_id = response.json()["id"]
        assert recording_process(recording_id=recording_id, now=TODAY) == "ready"
        return Recording.objects.select_related("owner").get(pk=recording_id)
    recorded_at = recorded_at or NOW
    now = now or recorded_at
    enrolment = owner.enrolment
    recording_id = str(uuid.uuid4())
    # The original is encrypted before the row exists (so it waits under the recording's own
    # retention key), rendition and poster after: as an upload and its processing do.
    vault_store(object_id=recording_id, purpose=Purpose.ORIGINAL, chunks=[ORIGINAL], now=now)
    recording = Recording.objects.create(
        id=recording_id,
        owner=owner,
        school=enrolment.school,
        title=title or "Rekenles",
        recorded_at=recorded_at,
        created_at=now,
        status=status,
        expires_at=expiry_for(
            recorded_at=recorded_at,
            study_end=enrolment.study_end,
            months=settings.CLASSVAULT_RETENTION_MONTHS,
        ),
    )
    RecordingPupil.objects.bulk_create(
        RecordingPupil(recording=recording, pupil_id=getattr(pupil, "pk", pupil))
        for pupil in pupils
    )
    for purpose in (Purpose.RENDITION, Purpose.POSTER):
        vault_store(
            object_id=recording_id, purpose=purpose, chunks=[purpose.encode() * 40], now=now
        )
    return Recording.objects.select_related("owner").get(pk=recording.pk)
