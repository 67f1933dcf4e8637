"""Analyse a video (detect and track faces), then render it (blur, mute, encode).

Two passes over the input, which must be seekable: the first decodes every frame and runs
the detector on every ``every``-th one, scaled down; the second decodes again, blurs the
boxes the tracking computed for each frame, silences the muted ranges and encodes H.264/AAC
as fragmented MP4 (writable to a pipe or an encrypting writer). Decoding twice costs little
next to detection and encoding, and it lets the tracking look both ways.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import BinaryIO

import av
import av.error
import numpy as np

from .audio import AudioMuter
from .blur import anonymise_yuv420
from .detector import CenterFaceDetector, FaceDetector
from .tracking import Linker, Observation, Tracklet, appearance_hist, follow, frame_boxes

# The detector runs on every EVERY-th frame; tracking fills the frames between.
EVERY = 3
# A face that vanishes away from the frame's edges is held where it was this long; one
# that vanishes at an edge (it may have left, or be half outside and lost) this long.
HOLD_SECONDS = 2.0
EDGE_HOLD_SECONDS = 1.0
# Only a face found by at least this many detector runs is held (not a false detection).
HOLD_CONFIRM = 2
# A box at the frame's edge grows by this share of its size each side (the face goes on
# beyond the edge, and the detector's box covers only the part inside).
EDGE_GROW = 0.3
VIDEO_PRESET = "veryfast"
VIDEO_CRF = "21"
# Share of the whole job the analysis takes (for one progress figure over both passes).
ANALYSIS_SHARE = 0.35


class RedactionError(Exception):
    """The input cannot be redacted (not a decodable video, or an invalid request)."""


class Cancelled(Exception):  # noqa: N818 - it is a state, not an error
    """``should_stop`` answered True: the work stopped and nothing was kept."""


@dataclass(frozen=True)
class Mark:
    """A box ``(x, y, w, h)`` around the one person to follow, at a moment of the video."""

    at_seconds: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Progress:
    fraction: float  # of the whole job, 0..1
    frames_per_second: float  # video frames processed per wall-clock second in this pass
    seconds_left: float | None


@dataclass
class Analysis:
    """What the first pass found: the tracklets to blur and, in one-person mode, the track."""

    width: int
    height: int
    fps: float
    frames: int
    every: int
    tracklets: list[Tracklet] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    @property
    def max_gap(self) -> int:
        # Bridge up to three missed detector runs (occlusions, a turned head).
        return self.every * 4

    @property
    def dilate(self) -> int:
        # Covers a face that appeared just after a detector run, and a few frames margin.
        return self.every + 4

    @property
    def hold(self) -> int:
        # A face that vanishes inside the frame stays covered this long (it is hidden).
        return round(HOLD_SECONDS * self.fps)

    @property
    def edge_hold(self) -> int:
        return round(EDGE_HOLD_SECONDS * self.fps)

    def boxes_per_frame(self) -> list[list[np.ndarray]]:
        boxes = frame_boxes(
            self.tracklets,
            frames=self.frames,
            dilate=self.dilate,
            max_gap=self.max_gap,
            hold=self.hold,
            edge_hold=self.edge_hold,
            confirm=HOLD_CONFIRM,
            edge_grow=EDGE_GROW,
            size=(self.width, self.height),
        )
        for mark in self.marks:
            # The marked box itself is covered around its moment, whatever the detector saw.
            x, y, w, h = mark.box
            at = round(mark.at_seconds * self.fps)
            for f in range(max(0, at - self.dilate), min(self.frames, at + self.dilate + 1)):
                boxes[f].append(np.array([x, y, x + w, y + h], dtype=np.float32) / [1, 1.1, 1, 1])
        return boxes

    def to_json(self) -> dict:
        """What the second pass needs, as JSON (the appearance histograms are left out)."""
        return {
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "frames": self.frames,
            "every": self.every,
            "marks": [{"at_seconds": m.at_seconds, "box": list(m.box)} for m in self.marks],
            "tracklets": [
                [[o.frame, *(round(float(v), 1) for v in o.box[:4])] for o in t.observations]
                for t in self.tracklets
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> Analysis:
        tracklets = [
            Tracklet(
                id=i,
                observations=[
                    Observation(frame=int(o[0]), box=np.array(o[1:5], dtype=np.float32), score=1)
                    for o in rows
                ],
            )
            for i, rows in enumerate(data["tracklets"])
        ]
        marks = [Mark(m["at_seconds"], tuple(m["box"])) for m in data.get("marks", [])]
        return cls(
            width=data["width"],
            height=data["height"],
            fps=data["fps"],
            frames=data["frames"],
            every=data["every"],
            tracklets=tracklets,
            marks=marks,
        )

    def track(self) -> list[dict]:
        """The followed boxes at the detector's frames: ``[{"at_seconds", "box": [x,y,w,h]}]``."""
        points = []
        for tracklet in self.tracklets:
            for obs in tracklet.observations:
                x1, y1, x2, y2 = (round(float(v), 1) for v in obs.box[:4])
                points.append(
                    {
                        "at_seconds": round(obs.frame / self.fps, 3),
                        "box": [x1, y1, x2 - x1, y2 - y1],
                    }
                )
        return sorted(points, key=lambda p: p["at_seconds"])


class _Meter:
    """Progress over one pass: a fraction of the whole job, frames/s and time left."""

    def __init__(self, total: int, span: tuple[float, float], callback, should_stop, rest=0.0):
        self.total = max(1, total)
        self.span = span
        self.callback = callback
        self.should_stop = should_stop
        self.started = time.monotonic()
        self.rest = rest  # seconds the passes after this one are expected to take, per frame

    def tick(self, done: int) -> None:
        if done % 25:
            return
        if self.callback is None:
            if self.should_stop is not None and self.should_stop():
                raise Cancelled()
            return
        elapsed = max(1e-6, time.monotonic() - self.started)
        fps = done / elapsed
        left = (self.total - done) / fps if fps > 0 else None
        low, high = self.span
        fraction = low + (high - low) * min(1.0, done / self.total)
        if left is not None and self.rest:
            left += self.rest * elapsed / max(1, done) * self.total
        # The progress first: a callback that stores it at most once a second would
        # otherwise find that second taken by the stop check and never store any.
        self.callback(Progress(round(fraction, 4), round(fps, 2), left))
        if self.should_stop is not None and self.should_stop():
            raise Cancelled()


def _open(src: BinaryIO):
    try:
        container = av.open(src, mode="r")
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise RedactionError("The input is not a video that can be decoded.") from exc
    if not container.streams.video:
        container.close()
        raise RedactionError("The input has no video track.")
    return container


def probe(src: BinaryIO) -> tuple[int, int, float | None]:
    """The width and height marks are given in, and the duration in seconds (None when the
    file does not say); rewinds ``src``. RedactionError when it is no decodable video."""
    container = _open(src)
    try:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = None
    finally:
        container.close()
    src.seek(0)
    if not width or not height:
        raise RedactionError("The input is not a video that can be decoded.")
    return width, height, duration or None


def _frame_estimate(container) -> tuple[float, int]:
    stream = container.streams.video[0]
    rate = float(stream.average_rate or 25)
    if stream.frames:
        return rate, int(stream.frames)
    if stream.duration and stream.time_base:
        return rate, int(float(stream.duration * stream.time_base) * rate)
    if container.duration:
        return rate, int(container.duration / av.time_base * rate)
    return rate, 0


def analyse(
    src: BinaryIO,
    *,
    faces: str = "all",
    marks: Sequence[Mark] = (),
    detector: FaceDetector | None = None,
    every: int = EVERY,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    span: tuple[float, float] = (0.0, ANALYSIS_SHARE),
) -> Analysis:
    """Detect faces on every ``every``-th frame and link them into tracklets.

    ``faces="all"`` keeps every tracklet; ``"none"`` keeps only those of the persons marked
    in ``marks`` (none when there are no marks: then only the sound is redacted).
    """
    if faces not in ("all", "none"):
        raise RedactionError("faces must be 'all' or 'none'.")
    container = _open(src)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate, estimate = _frame_estimate(container)
        width, height = stream.codec_context.width, stream.codec_context.height
        analysis = Analysis(
            width=width, height=height, fps=rate, frames=0, every=every, marks=list(marks)
        )
        if faces == "none" and not marks:
            # Only the sound is redacted: count the frames without decoding them.
            analysis.frames = sum(1 for p in container.demux(stream) if p.size)
            return analysis
        detector = detector or CenterFaceDetector()
        dw = min(detector.input_width or width, width)
        dh = max(2, round(height * dw / width))
        sx, sy = width / dw, height / dh
        linker = Linker(max_gap=analysis.max_gap)
        meter = _Meter(estimate, span, progress, should_stop, rest=1.5)
        index = 0
        for frame in _decode(container, stream):
            if index % every == 0:
                small = frame.to_ndarray(format="rgb24", width=dw, height=dh)
                found = detector.detect(small)
                observations = [
                    Observation(
                        frame=index,
                        box=(det[:4] * [sx, sy, sx, sy]).astype(np.float32),
                        score=float(det[4]),
                        hist=appearance_hist(small, det) if marks else None,
                    )
                    for det in found
                ]
                linker.add(index, observations)
            index += 1
            meter.tick(index)
        analysis.frames = index
        if index == 0:
            raise RedactionError("The video track holds no frames.")
        tracklets = linker.tracklets
        if faces == "none":
            chosen: dict[int, Tracklet] = {}
            for mark in marks:
                x, y, w, h = mark.box
                box = np.array([x, y, x + w, y + h], dtype=np.float32)
                at = round(mark.at_seconds * rate)
                for tracklet in follow(tracklets, frame=at, box=box, fps=rate):
                    chosen[tracklet.id] = tracklet
            tracklets = sorted(chosen.values(), key=lambda t: t.first.frame)
        analysis.tracklets = tracklets
        return analysis
    except (av.error.FFmpegError, ValueError) as exc:
        raise RedactionError("The video could not be decoded.") from exc
    finally:
        container.close()


def _decode(container, stream) -> Iterable[av.VideoFrame]:
    for packet in container.demux(stream):
        yield from packet.decode()
    # demux ends with an empty packet that flushes the decoder: nothing more to do.


def render(
    src: BinaryIO,
    dst: BinaryIO,
    analysis: Analysis,
    *,
    mute: Sequence[tuple[float, float]] = (),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    span: tuple[float, float] = (ANALYSIS_SHARE, 1.0),
) -> int:
    """Blur the analysed boxes, silence ``mute`` (second ranges), encode; frames written."""
    for start, end in mute:
        if not 0 <= start < end:
            raise RedactionError("A mute range must run from a start to a later end.")
    boxes = analysis.boxes_per_frame()
    container = _open(src)
    try:
        return _render(container, dst, analysis, boxes, mute, progress, should_stop, span)
    except (av.error.FFmpegError, ValueError) as exc:
        raise RedactionError("The video could not be re-encoded.") from exc
    finally:
        container.close()


def _render(container, dst, analysis, boxes, mute, progress, should_stop, span) -> int:
    v_in = container.streams.video[0]
    v_in.thread_type = "AUTO"
    a_in = container.streams.audio[0] if container.streams.audio else None
    width, height = analysis.width - analysis.width % 2, analysis.height - analysis.height % 2
    rate = v_in.average_rate or Fraction(25, 1)
    meter = _Meter(analysis.frames, span, progress, should_stop)
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    with av.open(dst, mode="w", format="mp4", options=options) as out:
        v_out = out.add_stream("libx264", rate=rate)
        v_out.width, v_out.height, v_out.pix_fmt = width, height, "yuv420p"
        v_out.options = {"preset": VIDEO_PRESET, "crf": VIDEO_CRF}
        v_out.codec_context.gop_size = max(1, round(float(rate) * 2))
        v_out.thread_type = "AUTO"
        muter = AudioMuter(out, a_in, mute) if a_in is not None else None
        streams = [v_in] + ([a_in] if a_in is not None else [])
        index = 0
        for packet in container.demux(*streams):
            for frame in packet.decode():
                if packet.stream is v_in:
                    here = boxes[index] if index < len(boxes) else []
                    if here or frame.format.name != "yuv420p" or frame.width != width:
                        frame = _blurred(frame, width, height, here)
                    frame.pts = index
                    frame.time_base = 1 / rate
                    out.mux(v_out.encode(frame))
                    index += 1
                    meter.tick(index)
                elif muter is not None:
                    muter.add(frame)
        out.mux(v_out.encode(None))
        if muter is not None:
            muter.finish()
    return index


def _blurred(frame, width: int, height: int, boxes) -> av.VideoFrame:
    array = frame.to_ndarray(format="yuv420p", width=width, height=height)
    anonymise_yuv420(array, width, height, boxes)
    return av.VideoFrame.from_ndarray(array, format="yuv420p")


def redact(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    faces: str = "all",
    marks: Sequence[Mark] = (),
    mute: Sequence[tuple[float, float]] = (),
    detector: FaceDetector | None = None,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Analysis:
    """Both passes: analyse ``src``, rewind it, render into ``dst``."""
    analysis = analyse(
        src, faces=faces, marks=marks, detector=detector, progress=progress, should_stop=should_stop
    )
    src.seek(0)
    render(src, dst, analysis, mute=mute, progress=progress, should_stop=should_stop)
    return analysis
