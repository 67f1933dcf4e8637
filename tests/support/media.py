"""Tiny generated test videos (PyAV, in memory): nothing is downloaded or shipped."""

import io
from fractions import Fraction

import av
import numpy as np


def make_video(
    *,
    seconds: float = 1.0,
    width: int = 160,
    height: int = 120,
    fps: int = 25,
    audio: bool = True,
    container: str = "mp4",
    codec: str = "libx264",
    audio_codec: str = "aac",
) -> bytes:
    """A moving gradient with a beeping tone; each frame differs, so plaintext is unique.

    ``container="webm", codec="libvpx", audio_codec="libopus"`` gives what a browser's
    MediaRecorder makes (VP8 and Opus in WebM)."""
    buffer = io.BytesIO()
    rate = 48000 if audio_codec == "libopus" else 16000
    with av.open(buffer, mode="w", format=container) as out:
        v = out.add_stream(codec, rate=fps)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        a = None
        if audio:
            a = out.add_stream(audio_codec, rate=rate)
            a.layout = "mono"
        n = max(1, int(seconds * fps))
        x = np.arange(width, dtype=np.uint16)
        for i in range(n):
            img = np.zeros((height, width, 3), dtype=np.uint8)
            img[:, :, 0] = ((x + i * 7) % 256).astype(np.uint8)
            img[:, :, 1] = (np.arange(height)[:, None] * 2 + i) % 256
            img[:, :, 2] = (i * 9) % 256
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        if a is not None:
            samples = int(seconds * rate)
            t = np.arange(samples) / rate
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            chunk = 960 if audio_codec == "libopus" else 1024
            sample_format = "flt" if audio_codec == "libopus" else "fltp"
            for start in range(0, samples - chunk + 1, chunk):
                part = tone[start : start + chunk]
                frame = av.AudioFrame.from_ndarray(
                    part[None, :], format=sample_format, layout="mono"
                )
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                out.mux(a.encode(frame))
            out.mux(a.encode(None))
    return buffer.getvalue()
