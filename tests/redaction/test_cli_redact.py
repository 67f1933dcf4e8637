"""``classvault redact`` on plain files: blurred faces, silenced ranges, sound kept."""

import os
import signal
import subprocess
import sys
import time

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


@pytest.fixture(scope="module")
def clip():
    """Two seconds of 320 x 240 with two faces."""
    return make_faces_video(two_faces(), seconds=2)


def _leftovers(directory):
    return [p.name for p in directory.iterdir() if p.name.startswith(".classvault-")]


@pytest.mark.parametrize("link", [os.symlink, os.link])
def test_redact_refuses_an_output_that_is_a_link_to_the_input(tmp_path, clip, link):
    (tmp_path / "in.mp4").write_bytes(clip)
    link(tmp_path / "in.mp4", tmp_path / "out.mp4")
    done = _run(str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4"), "--quiet")
    assert done.returncode == 2 and "OUTPUT must not be INPUT" in done.stderr
    assert (tmp_path / "in.mp4").read_bytes() == clip


@pytest.mark.parametrize("mute", ["0-inf", "0-1e400", "nan-1", "-1-2"])
def test_redact_refuses_ranges_that_are_no_finite_seconds(tmp_path, mute):
    done = _run(str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4"), f"--mute={mute}")
    assert done.returncode == 2 and "--mute" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--faces", "none"], "nothing to redact"),
        (["--mark", "0.5:9999,9999,10,10"], "inside the frame of 320 x 240"),
        (["--mark", "0.5:-10,-10,0,0"], "at least 4 pixels"),
        (["--mark", "0.5:300,200,40,40"], "inside the frame"),
        (["--mark", "99:10,10,40,40"], "outside the video"),
        (["--mute", "0-999"], "ends after the video"),
    ],
)
def test_redact_refuses_what_cannot_take_effect_and_writes_nothing(tmp_path, clip, args, message):
    """The API's rules (422 there): boxes inside the frame, times inside the video."""
    (tmp_path / "in.mp4").write_bytes(clip)
    (tmp_path / "out.mp4").write_bytes(b"earlier result")
    done = _run(str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4"), "--quiet", *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert (tmp_path / "out.mp4").read_bytes() == b"earlier result"
    assert _leftovers(tmp_path) == []


def test_redact_accepts_a_range_ending_just_after_the_end(tmp_path, clip):
    (tmp_path / "in.mp4").write_bytes(clip)
    done = _run(str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4"), "--quiet", "--mute", "1-2.4")
    assert done.returncode == 0, done.stderr
    assert frames_rgb((tmp_path / "out.mp4").read_bytes())
    assert _leftovers(tmp_path) == []


def test_a_failed_redaction_leaves_an_existing_output_as_it_was(tmp_path):
    (tmp_path / "in.mp4").write_bytes(b"no video" * 50)
    (tmp_path / "out.mp4").write_bytes(b"earlier result")
    done = _run(str(tmp_path / "in.mp4"), str(tmp_path / "out.mp4"), "--quiet")
    assert done.returncode == 1 and "not a video" in done.stderr
    assert (tmp_path / "out.mp4").read_bytes() == b"earlier result"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)]
)
def test_an_interrupted_redaction_leaves_no_partial_output(tmp_path, sig, code):
    (tmp_path / "in.mp4").write_bytes(make_faces_video(two_faces(), seconds=3))
    (tmp_path / "out.mp4").write_bytes(b"earlier result")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.Popen(
        [sys.executable, "-m", "classvault.cli", "redact", "in.mp4", "out.mp4"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A child of a shell's background job would ignore Ctrl-C; this one hears it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    deadline = time.monotonic() + 60
    while not _leftovers(tmp_path) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run.poll() is None, "the redaction ended before it could be interrupted"
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == code, stderr
    assert "Traceback" not in stderr and "out.mp4 not written" in stderr
    assert (tmp_path / "out.mp4").read_bytes() == b"earlier result"
    assert _leftovers(tmp_path) == []
