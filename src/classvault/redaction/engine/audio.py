"""Silencing time ranges of the sound track while keeping the rest, re-encoded as AAC."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import av
import numpy as np

AUDIO_BITRATE = 128_000
# AAC's encoder delay (1024 priming samples plus the frame in flight) is not recorded in
# fragmented MP4: players place the sound up to this many samples later. Muting widens each
# range by it on both sides, so what was said inside a range is silent wherever it plays.
ENCODER_DELAY = 2048


class AudioMuter:
    """Decoded audio frames in, AAC out, with the samples inside ``mute`` set to zero.

    Samples are numbered from the start of the track at its own rate, so a range is cut to
    the sample, whatever the frame sizes of the source.
    """

    def __init__(self, out, a_in, mute: Sequence[tuple[float, float]]) -> None:
        rate = a_in.codec_context.sample_rate or 48000
        layout = a_in.codec_context.layout.name if a_in.codec_context.layout else "stereo"
        if layout not in ("mono", "stereo"):
            layout = "stereo"
        self.rate = rate
        self.layout = layout
        self.stream = out.add_stream("aac", rate=rate)
        self.stream.layout = layout
        self.stream.bit_rate = AUDIO_BITRATE
        self.out = out
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        self.ranges = [
            (max(0, round(s * rate) - ENCODER_DELAY), round(e * rate) + ENCODER_DELAY)
            for s, e in mute
        ]
        self.samples = 0

    def add(self, frame) -> None:
        frame.pts = None
        self._encode(self.resampler.resample(frame))

    def finish(self) -> None:
        self._encode(self.resampler.resample(None))
        self.out.mux(self.stream.encode(None))

    def _encode(self, frames) -> None:
        for resampled in frames:
            n = resampled.samples
            start, end = self.samples, self.samples + n
            if any(s < end and e > start for s, e in self.ranges):
                planes = resampled.to_ndarray().copy()
                for s, e in self.ranges:
                    lo, hi = max(s, start) - start, min(e, end) - start
                    if hi > lo:
                        planes[:, lo:hi] = 0.0
                resampled = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(planes, dtype=np.float32),
                    format="fltp",
                    layout=self.layout,
                )
                resampled.sample_rate = self.rate
            resampled.pts = self.samples
            resampled.time_base = Fraction(1, self.rate)
            self.samples = end
            self.out.mux(self.stream.encode(resampled))
