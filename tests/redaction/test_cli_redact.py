"""``classvault redact`` on plain files: blurred faces, silenced ranges, sound kept."""

import os
import subprocess
import sys

import numpy as np
import pytest

from support.faces import audio_samples, frames_rgb, make_faces_video, sharpness, two_faces

pytestmark = pytest.mark.cli


def _run(*args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "classvault.cli", "redact", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_redact_blurs_faces_mutes_a_range_and_keeps_the_sound(tmp_path):
    faces = two_faces()
    original = make_faces_video(faces, seconds=1.2)
    (tmp_path / "in.mp4").write_bytes(original)
    done = _run(str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4"), "--mute", "0.3-0.6")
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "redacting" in done.stderr  # the progress bar
    redacted = (tmp_path / "out.mp4").read_bytes()
    before, after = frames_rgb(original), frames_rgb(redacted)
    assert len(after) == len(before) == 30
    for i in (0, 15, 29):
        box = faces[0].box(i / 25, 320, 240)
        assert sharpness(after[i], box) < 0.25 * sharpness(before[i], box)
    samples, rate = audio_samples(redacted)
    assert np.abs(samples[int(0.32 * rate) : int(0.58 * rate)]).max() < 0.01
    assert np.sqrt(np.mean(samples[int(0.9 * rate) : int(1.1 * rate)] ** 2)) > 0.15


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mute", "5-2"], "START must be before END"),
        (["--mute", "soon"], "is not START-END"),
        (["--faces", "some"], "invalid choice"),
    ],
)
def test_redact_refuses_bad_ranges_with_a_clear_error(tmp_path, args, message):
    done = _run(str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4"), *args)
    assert done.returncode == 2 and message in done.stderr


def test_redact_says_when_the_input_is_no_video(tmp_path):
    (tmp_path / "in.mp4").write_bytes(b"no video" * 50)
    done = _run(str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4"), "--quiet")
    assert done.returncode == 1 and "not a video" in done.stderr
