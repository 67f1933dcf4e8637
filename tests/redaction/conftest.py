"""A recording of two real faces with a tone, uploaded and processed the way Sanne's are."""

import pytest

from support.faces import make_faces_video, two_faces
from support.recordings import make_recording


@pytest.fixture(scope="session")
def faces_video() -> bytes:
    return make_faces_video(two_faces(), seconds=2.0)


@pytest.fixture
def faces_recording(studio, faces_video):
    return make_recording(
        studio.student, video=faces_video, pupils=[studio.pupils.ada.pk, studio.pupils.bram.pk]
    )
