"""A small generated lesson video for the demo (PyAV only: no files shipped, nothing fetched)."""

import io
import math
from array import array
from fractions import Fraction

import av

WIDTH, HEIGHT, FPS = 320, 180, 25


def sample_video(*, seconds: int = 4) -> bytes:
    """Moving colour bars with a soft tone: enough to show the player working."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = out.add_stream("aac", rate=16000)
        audio.layout = "mono"
        colours = [(200, 60, 60), (60, 160, 60), (60, 90, 200), (230, 200, 60), (90, 90, 90)]
        bar = WIDTH // len(colours)
        for i in range(seconds * FPS):
            row = bytearray()
            shift = (i * 4) % WIDTH
            for x in range(WIDTH):
                row += bytes(colours[((x + shift) // bar) % len(colours)])
            frame = av.VideoFrame(WIDTH, HEIGHT, "rgb24")
            plane = frame.planes[0]
            line = bytes(row) + bytes(plane.line_size - len(row))
            plane.update(line * HEIGHT)
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        samples = 1024
        for start in range(0, seconds * 16000, samples):
            tone = array(
                "f",
                (0.1 * math.sin(2 * math.pi * 330 * (start + n) / 16000) for n in range(samples)),
            )
            frame = av.AudioFrame(format="flt", layout="mono", samples=samples)
            frame.planes[0].update(tone.tobytes())
            frame.sample_rate = 16000
            frame.pts, frame.time_base = start, Fraction(1, 16000)
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return buffer.getvalue()
