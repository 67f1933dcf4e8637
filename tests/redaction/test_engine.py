"""The redaction engine on tiny generated videos with real faces (no Django, no disk)."""

import io

import numpy as np
import pytest

from classvault.redaction.engine import Mark, RedactionError, analyse, redact
from classvault.redaction.engine.pipeline import EVERY
from support.faces import (
    audio_samples,
    frames_rgb,
    make_faces_video,
    sharpness,
    two_faces,
)

FPS = 25
W, H = 320, 240


def _inner(box):
    """The middle of a face box: eyes, nose and mouth (what makes a face recognisable)."""
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) // 5, (y2 - y1) // 5
    return x1 + dx, y1 + dy, x2 - dx, y2 - dy


def _sharp_ratios(original: bytes, redacted: bytes, face) -> list[float]:
    before, after = frames_rgb(original), frames_rgb(redacted)
    assert len(before) == len(after)
    ratios = []
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        box = face.box(i / FPS, W, H)
        if box is None or (box[2] - box[0]) < 30:
            continue
        ratios.append(sharpness(b, _inner(box)) / sharpness(a, _inner(box)))
    return ratios


def _redact(data: bytes, **kwargs) -> bytes:
    out = io.BytesIO()
    redact(io.BytesIO(data), out, **kwargs)
    return out.getvalue()


def test_every_face_in_every_frame_is_blurred_and_the_wall_stays_sharp():
    faces = two_faces()
    original = make_faces_video(faces, seconds=2.0)
    redacted = _redact(original, faces="all")
    for face in faces:
        ratios = _sharp_ratios(original, redacted, face)
        assert len(ratios) == 50
        assert max(ratios) < 0.2, ratios
    # The background far from the faces keeps its detail.
    before, after = frames_rgb(original)[10], frames_rgb(redacted)[10]
    wall = (130, 200, 200, 236)
    assert sharpness(after, wall) > 0.6 * sharpness(before, wall)


def test_one_marked_person_is_followed_through_an_occlusion_and_only_they_are_blurred():
    faces = two_faces(hide_astronaut=(0.6, 1.6))
    astronaut, pupil = faces
    original = make_faces_video(faces, seconds=2.4)
    x1, y1, x2, y2 = astronaut.box(2.0, W, H)
    # Marked after the occlusion: the person is followed backwards past it, too.
    mark = Mark(at_seconds=2.0, box=(x1, y1, x2 - x1, y2 - y1))
    redacted = _redact(original, faces="none", marks=[mark])
    marked = _sharp_ratios(original, redacted, astronaut)
    assert len(marked) == 60 - 25
    assert max(marked) < 0.2, marked
    other = _sharp_ratios(original, redacted, pupil)
    assert min(other) > 0.7, other


def test_analysis_of_one_person_gives_a_track_to_review():
    faces = two_faces()
    original = make_faces_video(faces, seconds=1.0, audio=False)
    x1, y1, x2, y2 = faces[1].box(0.4, W, H)
    analysis = analyse(
        io.BytesIO(original),
        faces="none",
        marks=[Mark(at_seconds=0.4, box=(x1, y1, x2 - x1, y2 - y1))],
    )
    track = analysis.track()
    # One point per detector run (every EVERY-th frame of the 25 frames/s video).
    assert [p["at_seconds"] for p in track] == [f / 25 for f in range(0, 25, EVERY)]
    for point in track:
        x, y, w, h = point["box"]
        assert abs(x + w / 2 - 250) < 15 and 45 < w < 100


def test_muted_ranges_are_silent_and_the_rest_of_the_sound_stays():
    original = make_faces_video(two_faces(), seconds=2.0)
    redacted = _redact(original, faces="none", mute=[(0.5, 1.0)])
    samples, rate = audio_samples(redacted)
    muted = samples[int(0.52 * rate) : int(0.98 * rate)]
    kept = samples[int(1.3 * rate) : int(1.9 * rate)]
    assert np.sqrt(np.mean(muted**2)) < 0.002
    assert np.sqrt(np.mean(kept**2)) > 0.15
    # Nothing but the sound was asked for: the faces stay as they were.
    assert min(_sharp_ratios(original, redacted, two_faces()[0])) > 0.7


def test_it_refuses_what_is_not_a_video():
    with pytest.raises(RedactionError):
        _redact(b"not a video at all" * 100)
