"""What a redaction may ask for, shared by the API (``redaction.services``) and the command
line (``classvault redact``): pure checks, no Django, so both refuse the same orders."""

from __future__ import annotations

from collections.abc import Sequence

# A marked box is at least this many pixels wide and high (the page ignores smaller drags).
MIN_BOX = 4
# Times may lie this far past the stored duration (a rounded end, the last frame's length).
SLACK_SECONDS = 0.5


def time_inside(at: float, duration: float | None) -> bool:
    """``at`` lies inside the video (unknown duration: any time from 0)."""
    return at >= 0 and (not duration or at <= duration + SLACK_SECONDS)


def box_big_enough(box: Sequence[float]) -> bool:
    return box[2] >= MIN_BOX and box[3] >= MIN_BOX


def box_inside(box: Sequence[float], width: int, height: int) -> bool:
    """``(x, y, w, h)`` lies inside a frame of ``width`` x ``height`` (one pixel of rounding)."""
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= width + 1 and y + h <= height + 1


def mute_limit(duration: float | None, otherwise: float) -> float:
    """The latest end of a range to silence: the duration with slack, else ``otherwise``."""
    return duration + SLACK_SECONDS if duration else otherwise


def range_inside(start: float, end: float, limit: float) -> bool:
    return 0 <= start < end <= limit
