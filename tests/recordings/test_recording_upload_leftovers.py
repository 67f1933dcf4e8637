"""A refused upload leaves nothing in the blob store, not even an empty folder (issue 9, 12a).

The folder is named after the would-be recording's id; an empty one still tells that an
upload happened and when.
"""

import pytest

from support.personas import login
from support.recordings import upload


@pytest.mark.parametrize("refusal", ["too_large", "no_consent", "not_a_video", "bad_date"])
def test_a_refused_upload_leaves_no_folder(studio, small_video, vault_home, settings, refusal):
    pupils, video, kwargs = [studio.pupils.ada.pk], small_video, {}
    if refusal == "too_large":
        settings.CLASSVAULT_MAX_UPLOAD_BYTES = 1000
    elif refusal == "no_consent":
        pupils = [studio.pupils.cas.pk]
    elif refusal == "not_a_video":
        video = b"not a video " * 500
    else:
        kwargs["recorded_at"] = "yesterday"
    response = upload(login("sanne"), video, pupils=pupils, **kwargs)
    assert 400 <= response.status_code < 500, response.content
    assert list((vault_home / "blobs").rglob("*")) == []
