"""Face filters: each returns a drop reason (a short word counted in summary.json) or None to keep.

Thresholds are plain arguments; `FaceFilters` bundles them for the preprocess stage.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.face.align import template_points

#: every reason a face can be dropped, in the order the checks run
DROP_REASONS: tuple[str, ...] = (
    "no_face",
    "extra_face",
    "too_small",
    "bad_landmarks",
    "pose",
    "blurry",
    "duplicate",
    "identity",
)


def blur_score(crop: np.ndarray, mask01: np.ndarray | None = None) -> float:
    """Variance of the Laplacian of the gray crop (inside the mask when given); low = blurry."""
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
    lap = cv2.Laplacian(gray, cv2.CV_32F, ksize=3)
    if mask01 is not None:
        inside = mask01 > 0.5
        if inside.sum() > 16:
            return float(lap[inside].var())
    return float(lap.var())


def landmark_error(landmarks_crop: np.ndarray, size: int, face_type: str, padding: float = 0.0) -> float:
    """RMS distance of the aligned landmarks from the mean face, as a fraction of the crop size.
    A real face sits at ~0.02-0.05; scrambled or collapsed points score > 0.1."""
    template = template_points(size, face_type, padding)
    diff = np.asarray(landmarks_crop, np.float64)[17:] - template[17:]
    return float(np.sqrt((diff**2).sum(1).mean())) / size


def landmarks_plausible(landmarks: np.ndarray) -> bool:
    """Cheap anatomy checks in frame space: eyes above the mouth, nose between, non-degenerate spread."""
    lm = np.asarray(landmarks, np.float64)
    if not np.isfinite(lm).all() or np.ptp(lm[:, 0]) < 4 or np.ptp(lm[:, 1]) < 4:
        return False
    eyes = np.concatenate([lm[36:42], lm[42:48]]).mean(0)
    mouth = lm[48:68].mean(0)
    nose = lm[30]
    axis = mouth - eyes
    length = np.linalg.norm(axis)
    if length < 2:
        return False
    t = float(np.dot(nose - eyes, axis) / length**2)  # nose projected on eyes->mouth
    return 0.2 < t < 1.0


def dhash(crop: np.ndarray, bits: int = 8) -> int:
    """64-bit difference hash of the gray crop (robust to small noise, brightness and scale)."""
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
    small = cv2.resize(gray, (bits + 1, bits), interpolation=cv2.INTER_AREA).astype(np.int16)
    diff = (small[:, 1:] > small[:, :-1]).flatten()
    return int(sum(1 << i for i, d in enumerate(diff) if d))


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class DuplicateFilter:
    """Drops a face whose dHash is within `max_distance` bits of one of the last `window` kept faces."""

    def __init__(self, max_distance: int | None, window: int = 32) -> None:
        self.max_distance = max_distance
        self.recent: deque[int] = deque(maxlen=window)

    def is_duplicate(self, crop: np.ndarray) -> bool:
        if self.max_distance is None or self.max_distance < 0:
            return False
        h = dhash(crop)
        if any(hamming(h, r) <= self.max_distance for r in self.recent):
            return True
        self.recent.append(h)
        return False


@dataclass
class FaceFilters:
    """Thresholds of the preprocess filters (null/None disables one)."""

    min_size: float | None = 40.0  # face size in frame px (sqrt of box area)
    min_blur: float | None = 10.0  # variance of Laplacian on the aligned crop
    max_yaw: float | None = None  # degrees, absolute
    max_pitch: float | None = None
    max_roll: float | None = None
    max_landmark_error: float | None = 0.12  # RMS from the mean face, fraction of crop size
    near_duplicate: int | None = None  # dHash Hamming distance; None = keep duplicates
    max_identity_distance: float | None = 0.6  # used only when reference photos are given

    def check_size(self, size: float) -> str | None:
        return "too_small" if self.min_size is not None and size < self.min_size else None

    def check_landmarks(
        self, landmarks: np.ndarray, landmarks_crop: np.ndarray, size: int, face_type: str, padding: float
    ) -> str | None:
        if not landmarks_plausible(landmarks):
            return "bad_landmarks"
        if (
            self.max_landmark_error is not None
            and landmark_error(landmarks_crop, size, face_type, padding) > self.max_landmark_error
        ):
            return "bad_landmarks"
        return None

    def check_pose(self, pose: tuple[float, float, float]) -> str | None:
        for value, limit in zip(pose, (self.max_yaw, self.max_pitch, self.max_roll), strict=True):
            if limit is not None and (not np.isfinite(value) or abs(value) > limit):
                return "pose"
        return None

    def check_blur(self, blur: float) -> str | None:
        return "blurry" if self.min_blur is not None and blur < self.min_blur else None

    def check_identity(self, distance: float | None) -> str | None:
        if distance is None or self.max_identity_distance is None:
            return None
        return "identity" if distance > self.max_identity_distance else None
