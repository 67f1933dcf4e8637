"""Irreversible anonymisation of face regions, in place on a YUV 4:2:0 frame.

Each box becomes a padded ellipse whose pixels are replaced by a coarse mosaic (a face is
about six cells across) smoothed by bilinear upscaling: the features the eye and any
face-recognition model use are averaged away, not hidden behind a reversible filter.
"""

from __future__ import annotations

import cv2
import numpy as np

# The ellipse is this much wider and taller than the detector's face box (hair, ears, chin).
PAD_X = 2.0
PAD_Y = 1.9
CELLS = 5


def ellipse_rect(box: np.ndarray, width: int, height: int) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in box[:4])
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    # A little lower than the box centre: the detector's boxes sit high on the face.
    ax = max(4.0, (x2 - x1) / 2 * PAD_X)
    ay = max(4.0, (y2 - y1) / 2 * PAD_Y)
    return cx, cy + 0.05 * (y2 - y1), ax, ay


def _plane(plane: np.ndarray, cx: float, cy: float, ax: float, ay: float) -> None:
    h, w = plane.shape
    x1, y1 = max(0, int(cx - ax)), max(0, int(cy - ay))
    x2, y2 = min(w, int(np.ceil(cx + ax)) + 1), min(h, int(np.ceil(cy + ay)) + 1)
    if x2 - x1 < 2 or y2 - y1 < 2:
        return
    roi = plane[y1:y2, x1:x2]
    cells_x = max(1, min(CELLS, (x2 - x1) // 2))
    cells_y = max(1, min(int(round(CELLS * ay / ax)), (y2 - y1) // 2))
    small = cv2.resize(roi, (cells_x, cells_y), interpolation=cv2.INTER_AREA)
    smooth = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)
    mask = np.zeros(roi.shape, dtype=np.uint8)
    cv2.ellipse(
        mask, (int(round(cx - x1)), int(round(cy - y1))), (int(ax), int(ay)), 0, 0, 360, 255, -1
    )
    np.copyto(roi, smooth, where=mask.astype(bool))


def anonymise_yuv420(frame: np.ndarray, width: int, height: int, boxes) -> None:
    """Blur every box in a ``yuv420p`` frame array (``height * 3 / 2`` rows), in place."""
    y = frame[:height]
    u = frame[height : height + height // 4].reshape(height // 2, width // 2)
    v = frame[height + height // 4 :].reshape(height // 2, width // 2)
    for box in boxes:
        cx, cy, ax, ay = ellipse_rect(box, width, height)
        _plane(y, cx, cy, ax, ay)
        _plane(u, cx / 2, cy / 2, ax / 2, ay / 2)
        _plane(v, cx / 2, cy / 2, ax / 2, ay / 2)
