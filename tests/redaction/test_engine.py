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


def test_the_detector_finds_the_same_faces_after_a_frame_of_another_size():
    """OpenCV's dnn keeps the shapes of its first input: one network fed a 4:3 frame after
    16:9 ones gave hundreds of garbage boxes (a worker redacts videos of any size)."""
    import cv2

    from classvault.redaction.engine.detector import CenterFaceDetector

    frame = frames_rgb(make_faces_video(two_faces(), seconds=0.2))[0]
    detector = CenterFaceDetector()
    first = detector.detect(frame)
    detector.detect(cv2.resize(frame, (W, W)))  # another shape
    again = detector.detect(frame)
    assert len(first) == 2
    np.testing.assert_allclose(again, first)


def _tracklet(frames, box, id=0):
    from classvault.redaction.engine.tracking import Observation, Tracklet

    return Tracklet(
        id=id,
        observations=[
            Observation(frame=f, box=np.array(box, dtype=np.float32), score=0.9) for f in frames
        ],
    )


def _covered(per_frame):
    return [i for i, boxes in enumerate(per_frame) if boxes]


def test_a_face_that_vanishes_is_held_if_it_was_seen_twice_and_shorter_at_the_edge():
    from classvault.redaction.engine.tracking import frame_boxes

    def boxes(tracklet):
        return frame_boxes(
            [tracklet],
            frames=200,
            dilate=7,
            max_gap=12,
            hold=50,
            edge_hold=25,
            confirm=2,
            edge_grow=0.3,
            size=(1280, 720),
        )

    def hold(tracklet):
        return _covered(boxes(tracklet))

    inside = hold(_tracklet([90, 93, 96], [600, 300, 660, 360]))
    assert inside == list(range(90 - 50, 96 + 51))
    # One detection is more often a false one: only the short dilation, no hold.
    once = hold(_tracklet([90], [600, 300, 660, 360]))
    assert once == list(range(90 - 7, 90 + 8))
    # At the edge (half out of the frame, or leaving it): held for half as long, and larger.
    edge_boxes = boxes(_tracklet([90, 93, 96], [1200, 300, 1280, 380]))
    assert _covered(edge_boxes) == list(range(90 - 25, 96 + 26))
    assert edge_boxes[93][0][2] - edge_boxes[93][0][0] > 80 * 1.5
