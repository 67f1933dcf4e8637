"""Tiny generated videos with real faces at known places, for the redaction tests.

The faces are real photographs that scikit-image ships (the astronaut, and LFW faces):
nothing is downloaded. Each clip is a few seconds of small frames, encoded in memory.
"""

import io
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import av
import cv2
import numpy as np


@cache
def astronaut_face() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[25:185, 165:295])


@cache
def lfw_face(index: int = 26) -> np.ndarray:
    from skimage import data

    grey = data.lfw_subset()[index]  # 25x25, 0..1
    rgb = np.stack([grey * 1.0, grey * 0.82, grey * 0.68], axis=2)
    return np.ascontiguousarray((rgb * 255).clip(0, 255).astype(np.uint8))


@dataclass(frozen=True)
class Face:
    """One face: its image, its size in pixels and its centre over time (``path(t)``)."""

    image: np.ndarray
    size: int
    path: object  # Callable[[float], tuple[float, float]]
    hidden: tuple[float, float] | None = None  # seconds in which a board covers it

    def box(self, t: float, width: int, height: int) -> tuple[int, int, int, int] | None:
        """The face's box ``(x1, y1, x2, y2)`` at ``t``, or None when hidden."""
        if self.hidden and self.hidden[0] <= t < self.hidden[1]:
            return None
        cx, cy = self.path(t)
        h = self.size
        w = round(self.size * self.image.shape[1] / self.image.shape[0])
        x1, y1 = round(cx - w / 2), round(cy - h / 2)
        return max(0, x1), max(0, y1), min(width, x1 + w), min(height, y1 + h)


def background(width: int, height: int) -> np.ndarray:
    """A textured wall (so blurring shows) that does not look like a face."""
    rng = np.random.default_rng(7)
    noise = rng.integers(90, 170, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    wall = cv2.resize(noise, (width, height), interpolation=cv2.INTER_NEAREST)
    for x in range(0, width, 24):
        wall[:, x : x + 2] = 60
    return wall


def render_frame(faces, t: float, width: int, height: int) -> np.ndarray:
    img = background(width, height).copy()
    for face in faces:
        box = face.box(t, width, height)
        if box is None:
            continue
        cx, cy = face.path(t)
        h = face.size
        w = round(face.size * face.image.shape[1] / face.image.shape[0])
        patch = cv2.resize(face.image, (w, h), interpolation=cv2.INTER_CUBIC)
        x1, y1 = round(cx - w / 2), round(cy - h / 2)
        sx1, sy1 = max(0, -x1), max(0, -y1)
        x2, y2 = min(width, x1 + w), min(height, y1 + h)
        img[max(0, y1) : y2, max(0, x1) : x2] = patch[
            sy1 : sy1 + y2 - max(0, y1), sx1 : sx1 + x2 - max(0, x1)
        ]
    return img


def make_faces_video(
    faces,
    *,
    seconds: float = 2.0,
    width: int = 320,
    height: int = 240,
    fps: int = 25,
    audio: bool = True,
) -> bytes:
    """An H.264/AAC MP4 of ``faces`` moving over a wall, with a 440 Hz tone as sound."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.options = {"crf": "18", "preset": "veryfast"}
        a = None
        if audio:
            a = out.add_stream("aac", rate=16000)
            a.layout = "mono"
        for i in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(
                render_frame(faces, i / fps, width, height), format="rgb24"
            )
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        if a is not None:
            samples = int(seconds * 16000)
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / 16000)).astype(np.float32)
            for start in range(0, samples, 1024):
                part = tone[start : start + 1024]
                frame = av.AudioFrame.from_ndarray(part[None, :], format="fltp", layout="mono")
                frame.sample_rate = 16000
                frame.pts = start
                frame.time_base = Fraction(1, 16000)
                out.mux(a.encode(frame))
            out.mux(a.encode(None))
    return buffer.getvalue()


def two_faces(*, hide_astronaut: tuple[float, float] | None = None) -> list[Face]:
    """The astronaut walking left to right, an LFW pupil swaying on the right."""
    return [
        Face(astronaut_face(), 90, lambda t: (70 + 50 * t, 110), hidden=hide_astronaut),
        Face(lfw_face(), 80, lambda t: (250, 120 + 8 * np.sin(3 * t))),
    ]


def frames_rgb(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def sharpness(img: np.ndarray, box) -> float:
    """Variance of the Laplacian of the grey image inside ``box``: high when sharp."""
    x1, y1, x2, y2 = box
    grey = cv2.cvtColor(np.ascontiguousarray(img[y1:y2, x1:x2]), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def audio_samples(data: bytes) -> tuple[np.ndarray, int]:
    """The first channel's samples (float) placed on the container's timeline, and the rate.

    Placed by each frame's timestamp, so the encoder's priming delay does not shift them.
    """
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        chunks = [
            (round(f.time * rate), f.to_ndarray().astype(np.float32)[0])
            for f in container.decode(stream)
        ]
    out = np.zeros(max(start + len(c) for start, c in chunks), dtype=np.float32)
    for start, chunk in chunks:
        out[max(0, start) : start + len(chunk)] = chunk[max(0, -start) :]
    return out, rate
