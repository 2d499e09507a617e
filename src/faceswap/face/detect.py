"""Face detectors behind one interface: `create_face_detector(name, **kw)(image_rgb) -> list[FaceBox]`.

Backends register in `FACE_DETECTORS`; `dlib_hog` (offline, fast on CPU) is the default. face-alignment's
detectors (`sfd`, `blazeface`) live in `faceswap.face.fa_backend` and register on import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from faceswap.face.dlib_models import model_path
from faceswap.utils.errors import ConfigError
from faceswap.utils.registry import Registry


@dataclass(frozen=True)
class FaceBox:
    """Axis-aligned face box in frame pixels, with the detector's confidence (higher is more certain)."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def size(self) -> float:
        return float(np.sqrt(max(self.width, 0.0) * max(self.height, 0.0)))

    @property
    def center(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def to_list(self) -> list[float]:
        return [float(self.x0), float(self.y0), float(self.x1), float(self.y1)]

    def scaled(self, factor: float) -> FaceBox:
        return FaceBox(self.x0 * factor, self.y0 * factor, self.x1 * factor, self.y1 * factor, self.score)

    def iou(self, other: FaceBox) -> float:
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0

    @staticmethod
    def from_landmarks(landmarks: np.ndarray, score: float = 1.0) -> FaceBox:
        """The box a dlib-style detector would give for these 68 points (used when tracking)."""
        x0, y0 = landmarks.min(0)
        x1, y1 = landmarks.max(0)
        w, h = x1 - x0, y1 - y0
        # mean offsets of dlib HOG boxes from the 68-point extent, measured on 60 frames of real talking heads
        # (sd ~0.05): a little wider than the jaw, above the brows, just above the chin
        return FaceBox(
            float(x0 - 0.045 * w), float(y0 - 0.125 * h), float(x1 + 0.045 * w), float(y1 - 0.065 * h), score
        )


class FaceDetector:
    """Base: subclasses implement `_detect(image_rgb)` at the image's own scale."""

    #: longest side the detector sees; bigger frames are downscaled first (0 = never)
    max_size: int = 0

    def __call__(self, image: np.ndarray) -> list[FaceBox]:
        """image: RGB uint8 [H,W,3] -> boxes sorted by score, highest first."""
        image = np.ascontiguousarray(image)
        scale = 1.0
        longest = max(image.shape[:2])
        if self.max_size and longest > self.max_size:
            scale = self.max_size / longest
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        boxes = [b.scaled(1.0 / scale) for b in self._detect(image)]
        return sorted(boxes, key=lambda b: -b.score)

    def _detect(self, image: np.ndarray) -> list[FaceBox]:
        raise NotImplementedError


FACE_DETECTORS: Registry[type[FaceDetector]] = Registry("face detector", package="faceswap.face")


@FACE_DETECTORS.register("dlib_hog")
class DlibHogDetector(FaceDetector):
    """dlib's HOG + linear SVM frontal detector: ~15 ms on a 512 px frame, finds faces >= ~80 px (x2 per upsample)."""

    def __init__(self, upsample: int = 0, threshold: float = 0.0, max_size: int = 640) -> None:
        import dlib

        if upsample < 0:
            raise ConfigError(f"detect.upsample={upsample} must be >= 0", "use 0, 1 or 2")
        self.upsample, self.threshold, self.max_size = int(upsample), float(threshold), int(max_size)
        self._detector = dlib.get_frontal_face_detector()

    def _detect(self, image: np.ndarray) -> list[FaceBox]:
        rects, scores, _ = self._detector.run(image, self.upsample, self.threshold)
        return [FaceBox(r.left(), r.top(), r.right(), r.bottom(), float(s)) for r, s in zip(rects, scores, strict=True)]


@FACE_DETECTORS.register("dlib_cnn")
class DlibCnnDetector(FaceDetector):
    """dlib's MMOD CNN detector (shipped in face-recognition-models): more pose-robust, ~10x slower than HOG."""

    def __init__(self, upsample: int = 0, threshold: float = 0.0, max_size: int = 640) -> None:
        import dlib

        self.upsample, self.threshold, self.max_size = int(upsample), float(threshold), int(max_size)
        self._detector = dlib.cnn_face_detection_model_v1(str(model_path("mmod_face_detector")))

    def _detect(self, image: np.ndarray) -> list[FaceBox]:
        found = self._detector(image, self.upsample)
        boxes = []
        for det in found:
            if det.confidence < self.threshold:
                continue
            r = det.rect
            # MMOD boxes are tighter than HOG's; widen so the 68-point predictor sees the box it was trained on
            w, h = r.right() - r.left(), r.bottom() - r.top()
            boxes.append(
                FaceBox(
                    r.left() - 0.05 * w,
                    r.top() - 0.05 * h,
                    r.right() + 0.05 * w,
                    r.bottom() + 0.1 * h,
                    float(det.confidence),
                )
            )
        return boxes


def create_face_detector(name: str = "dlib_hog", **kwargs: Any) -> FaceDetector:
    """Build a registered detector by name; `name` may also come from a config's `name:` key."""
    cls = FACE_DETECTORS.get(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(
            f"bad option for face detector '{name}': {exc}", f"pass only the options {cls.__name__} takes"
        ) from exc
