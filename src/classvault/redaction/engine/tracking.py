"""Offline tracking: detections every few frames linked into tracklets, then boxes per frame.

The detector runs on every ``k``-th frame only. The whole video is analysed before anything
is blurred, so a face is followed both ways: between two detections of one face its box is
interpolated, and before its first and after its last detection (or across a few missed
detections) it is kept alive and extrapolated with its motion: temporal dilation. A face the
detector misses now and then, or one that appears between two detector runs, stays covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

# A detection joins a tracklet when its similarity to the tracklet's predicted box is at
# least this (IoU, or closeness of centres relative to the face size).
LINK_SIMILARITY = 0.15
# The margin (share of the face size, each side) of a box held after its face vanished.
HOLD_GROW = 0.3


@dataclass
class Observation:
    frame: int
    box: np.ndarray  # x1, y1, x2, y2 in frame pixels
    score: float
    hist: np.ndarray | None = None  # appearance: a hue/saturation histogram of the face


@dataclass
class Tracklet:
    id: int
    observations: list[Observation] = field(default_factory=list)

    @property
    def first(self) -> Observation:
        return self.observations[0]

    @property
    def last(self) -> Observation:
        return self.observations[-1]

    def predict(self, frame: int) -> np.ndarray:
        """Where the box is expected at ``frame`` (constant velocity from the last two)."""
        obs = self.observations
        if len(obs) < 2:
            return obs[-1].box if frame >= obs[-1].frame else obs[0].box
        if frame >= obs[-1].frame:
            a, b = obs[-2], obs[-1]
        else:
            a, b = obs[1], obs[0]
        velocity = (b.box - a.box) / (b.frame - a.frame)
        return b.box + velocity * (frame - b.frame)

    def appearance(self) -> np.ndarray | None:
        hists = [o.hist for o in self.observations if o.hist is not None]
        return np.mean(hists, axis=0).astype(np.float32) if hists else None


def box_size(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1], 1.0))


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """IoU, or for boxes that barely overlap how close their centres are for their size."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    iou = inter / union if union > 0 else 0.0
    centre_a = (a[:2] + a[2:4]) / 2
    centre_b = (b[:2] + b[2:4]) / 2
    size = (box_size(a) + box_size(b)) / 2
    ratio = max(box_size(a), box_size(b)) / max(1.0, min(box_size(a), box_size(b)))
    close = 1.0 - float(np.linalg.norm(centre_a - centre_b)) / (0.75 * size)
    return max(iou, 0.5 * close if ratio < 1.6 else 0.0)


def appearance_hist(rgb: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """A normalised hue/saturation histogram of the inner part of a face box."""
    x1, y1, x2, y2 = box[:4]
    w, h = x2 - x1, y2 - y1
    ix1, iy1 = int(max(0, x1 + 0.2 * w)), int(max(0, y1 + 0.2 * h))
    ix2, iy2 = int(min(rgb.shape[1], x2 - 0.2 * w)), int(min(rgb.shape[0], y2 - 0.1 * h))
    if ix2 - ix1 < 3 or iy2 - iy1 < 3:
        return None
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[iy1:iy2, ix1:ix2]), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [12, 8], [0, 180, 0, 256])
    cv2.normalize(hist, hist)
    return hist.astype(np.float32)


class Linker:
    """Links the detections of successive detector runs into tracklets (greedy, by IoU with
    motion prediction). ``max_gap`` frames without a detection end a tracklet."""

    def __init__(self, *, max_gap: int) -> None:
        self.max_gap = max_gap
        self.tracklets: list[Tracklet] = []
        self._active: list[Tracklet] = []

    def add(self, frame: int, observations: list[Observation]) -> None:
        self._active = [t for t in self._active if frame - t.last.frame <= self.max_gap]
        pairs = []
        for ti, tracklet in enumerate(self._active):
            predicted = tracklet.predict(frame)
            for oi, obs in enumerate(observations):
                score = similarity(predicted, obs.box)
                if score >= LINK_SIMILARITY:
                    pairs.append((score, ti, oi))
        used_t: set[int] = set()
        used_o: set[int] = set()
        for _score, ti, oi in sorted(pairs, reverse=True):
            if ti in used_t or oi in used_o:
                continue
            used_t.add(ti)
            used_o.add(oi)
            self._active[ti].observations.append(observations[oi])
        for oi, obs in enumerate(observations):
            if oi not in used_o:
                tracklet = Tracklet(id=len(self.tracklets), observations=[obs])
                self.tracklets.append(tracklet)
                self._active.append(tracklet)


def _inside(box: np.ndarray, width: int, height: int, margin: float) -> bool:
    """Whether ``box`` is clear of the frame's edges by ``margin`` of its size."""
    m = margin * box_size(box)
    return box[0] > m and box[1] > m and box[2] < width - m and box[3] < height - m


def _at_edge(box: np.ndarray, width: int, height: int) -> bool:
    """Whether ``box`` touches the frame's edge (the face is partly outside it)."""
    m = 0.02 * box_size(box)
    return box[0] <= m or box[1] <= m or box[2] >= width - m or box[3] >= height - m


def frame_boxes(
    tracklets: list[Tracklet],
    *,
    frames: int,
    dilate: int,
    max_gap: int,
    hold: int = 0,
    edge_hold: int = 0,
    confirm: int = 1,
    edge_grow: float = 0.0,
    size: tuple[int, int] | None = None,
) -> list[list[np.ndarray]]:
    """The boxes to blur in each frame: interpolated between a tracklet's detections, and
    extrapolated for ``dilate`` frames before its first and after its last one, with a
    margin that grows with the distance from a detection (the motion is less certain).

    A face that vanishes inside the frame has most likely been hidden (a desk, a laptop,
    another head), not gone: the detector stops finding faces that are more than half
    covered, while the visible rest can still be recognised. Such a tracklet's first and
    last boxes are held, still and enlarged, for ``hold`` frames more (``size`` is the
    frame's width and height). A tracklet that ends at the frame's edge has more likely
    left the frame, but may as well be a face half outside it that the detector lost: it is
    held for ``edge_hold`` frames. Only tracklets of at least ``confirm`` detections are
    held (a single detection is more often a false one, and holding it blurs the background
    for seconds). Boxes that touch the edge grow by ``edge_grow`` of their size each side:
    the detector's box of a face cut by the edge is the visible part, not the whole face.
    """
    per_frame: list[list[np.ndarray]] = [[] for _ in range(frames)]

    def put(frame: int, box: np.ndarray, grow: float) -> None:
        if 0 <= frame < frames:
            if edge_grow and size is not None and _at_edge(box, *size):
                grow += edge_grow
            if grow:
                margin = grow * box_size(box)
                box = box + np.array([-margin, -margin, margin, margin], dtype=np.float32)
            per_frame[frame].append(box.astype(np.float32))

    for tracklet in tracklets:
        obs = tracklet.observations
        for a, b in zip(obs, obs[1:], strict=False):
            span = b.frame - a.frame
            for f in range(a.frame, b.frame):
                t = (f - a.frame) / span
                # Far from both detections the box may be off by more: grow it a little.
                put(f, a.box * (1 - t) + b.box * t, 0.08 * min(t, 1 - t) * min(1.0, span / 10))
        put(obs[-1].frame, obs[-1].box, 0.0)
        for step in range(1, dilate + 1):
            grow = 0.03 * step
            put(obs[0].frame - step, tracklet.predict(obs[0].frame - step), grow)
            put(obs[-1].frame + step, tracklet.predict(obs[-1].frame + step), grow)
        if size is None or len(obs) < confirm:
            continue
        for end, sign in ((obs[0], -1), (obs[-1], 1)):
            inside = _inside(end.box, *size, margin=0.1)
            # Where it was last seen, not extrapolated: occluded faces sit still far
            # more often than they keep walking, and a velocity from two noisy
            # detections would carry the box away from the face.
            for step in range(dilate + 1, (hold if inside else edge_hold) + 1):
                put(end.frame + sign * step, end.box, HOLD_GROW)
    del max_gap  # gaps up to max_gap are bridged by the interpolation above
    return per_frame


def follow(
    tracklets: list[Tracklet],
    *,
    frame: int,
    box: np.ndarray,
    fps: float,
    reacquire_seconds: float = 20.0,
    min_appearance: float = 0.5,
) -> list[Tracklet]:
    """The tracklets of the one person marked by ``box`` at ``frame``.

    The seed is the tracklet whose box near ``frame`` matches the mark best; from there the
    person is followed forwards and backwards: after an occlusion (a tracklet ends), the
    tracklet that starts within ``reacquire_seconds`` near where the person was going and
    looks most alike (hue/saturation histogram) continues the chain.
    """
    seed = _seed(tracklets, frame=frame, box=box, fps=fps)
    if seed is None:
        return []
    chain = [seed]
    window = int(reacquire_seconds * fps)
    for direction in (1, -1):
        current = seed
        while True:
            nxt = _continue(
                tracklets, current, direction, window, min_appearance, exclude={t.id for t in chain}
            )
            if nxt is None:
                break
            chain.append(nxt)
            current = nxt
    return sorted(chain, key=lambda t: t.first.frame)


def _seed(tracklets, *, frame: int, box: np.ndarray, fps: float) -> Tracklet | None:
    best, best_score = None, 0.0
    near = max(2, int(fps))  # within a second of the mark
    for tracklet in tracklets:
        if tracklet.first.frame - near > frame or tracklet.last.frame + near < frame:
            continue
        at = min(tracklet.observations, key=lambda o: abs(o.frame - frame))
        if abs(at.frame - frame) > near:
            continue
        score = similarity(box, at.box)
        centre = (at.box[:2] + at.box[2:4]) / 2
        if box[0] <= centre[0] <= box[2] and box[1] <= centre[1] <= box[3]:
            # The mark may be drawn around the whole person: the face inside it counts.
            score = max(score, 0.5)
        if score > best_score:
            best, best_score = tracklet, score
    return best if best_score >= LINK_SIMILARITY else None


def _continue(tracklets, current: Tracklet, direction: int, window: int, min_appearance, exclude):
    end = current.last if direction > 0 else current.first
    look = current.appearance()
    best, best_score = None, 0.0
    for candidate in tracklets:
        if candidate.id in exclude:
            continue
        start = candidate.first if direction > 0 else candidate.last
        gap = (start.frame - end.frame) * direction
        if gap <= 0 or gap > window:
            continue
        # Where could the person be after this gap? Allow more distance for longer gaps.
        distance = float(
            np.linalg.norm((start.box[:2] + start.box[2:4]) / 2 - (end.box[:2] + end.box[2:4]) / 2)
        )
        reach = box_size(end.box) * (1.0 + gap / 12.0)
        if distance > reach:
            continue
        ratio = box_size(start.box) / box_size(end.box)
        if not 0.6 <= ratio <= 1.66:
            continue
        other = candidate.appearance()
        alike = (
            float(cv2.compareHist(look, other, cv2.HISTCMP_CORREL))
            if look is not None and other is not None
            else 0.0
        )
        if alike < min_appearance:
            continue
        score = alike - 0.3 * distance / reach - 0.1 * gap / window
        if score > best_score or best is None:
            best, best_score = candidate, score
    return best
