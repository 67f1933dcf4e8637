"""Building recordings for tests: a vault home, pupils, uploads through the real API."""

import json
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from classvault.recordings.processing import recording_process
from conftest import NOW

TODAY = NOW + timedelta(days=1)  # the wall clock while `frozen` holds (see conftest)


def upload(api, video: bytes, *, title="Rekenles groep 5", recorded_at=None, pupils=(),
           attest=None, filename="les.mp4"):
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


def make_ready(api, video: bytes, **kwargs) -> str:
    response = upload(api, video, **kwargs)
    assert response.status_code == 201, response.content
    recording_id = response.json()["id"]
    assert recording_process(recording_id=recording_id, now=TODAY) == "ready"
    return recording_id


def raw_client() -> Client:
    return Client()


