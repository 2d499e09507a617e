"""128-D identity descriptors (dlib ResNet, shipped model) and distances to reference photos."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from faceswap.face.dlib_models import model_path


@functools.lru_cache(maxsize=1)
def _recognizer():  # -> dlib.face_recognition_model_v1
    import dlib

    return dlib.face_recognition_model_v1(str(model_path("face_recognition")))


def face_descriptor(image: np.ndarray, landmarks68: np.ndarray, jitter: int = 0) -> np.ndarray:
    """image RGB uint8 [H,W,3] + its 68 points -> float32 [128]; same person if distance < ~0.6 (LFW 99.4 %)."""
    import dlib

    lm = np.asarray(landmarks68, np.float64)
    x0, y0 = lm.min(0)
    x1, y1 = lm.max(0)
    rect = dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
    shape = dlib.full_object_detection(rect, [dlib.point(round(x), round(y)) for x, y in lm])
    desc = _recognizer().compute_face_descriptor(np.ascontiguousarray(image), shape, jitter)
    return np.asarray(desc, np.float32)


def descriptor_distance(descriptor: np.ndarray, references: Sequence[np.ndarray]) -> float:
    """Smallest Euclidean distance to any reference descriptor."""
    refs = np.asarray(references, np.float32).reshape(-1, 128)
    return float(np.linalg.norm(refs - np.asarray(descriptor, np.float32)[None], axis=1).min())
