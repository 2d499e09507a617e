"""Detector crops: a square of `scale` x the face's landmark box, resized to `size` (DeepfakeBench: 1.3x).

Reals, fakes and the ground-truth blend mask of one frame all go through the same matrix, so a
detector can only tell them apart by what the swap changed, never by how they were cropped.
"""

from __future__ import annotations

import cv2
import numpy as np


def crop_matrix(landmarks: np.ndarray, size: int, scale: float = 1.3) -> np.ndarray:
    """[2,3] frame -> crop matrix of the square around the 68 landmarks [68,2] (frame px)."""
    lo, hi = landmarks.min(axis=0), landmarks.max(axis=0)
    centre = (lo + hi) / 2.0
    side = float(max(hi - lo)) * scale
    k = size / max(side, 1.0)
    return np.array([[k, 0.0, size / 2.0 - k * centre[0]], [0.0, k, size / 2.0 - k * centre[1]]], np.float64)


def crop_box(matrix: np.ndarray, size: int) -> list[float]:
    """The crop's square in frame px [x0, y0, x1, y1] (may extend past the frame)."""
    k = matrix[0, 0]
    x0, y0 = -matrix[0, 2] / k, -matrix[1, 2] / k
    return [round(float(x0), 2), round(float(y0), 2), round(float(x0 + size / k), 2), round(float(y0 + size / k), 2)]


def warp_image(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """Crop an RGB frame [H,W,3] -> [S,S,3]; pixels past the frame edge repeat the border."""
    interp = cv2.INTER_AREA if matrix[0, 0] < 1.0 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, matrix, (size, size), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def warp_mask(mask: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """Crop a frame-space mask [H,W] float -> [S,S] float in [0,1] (outside the frame = 0)."""
    out = cv2.warpAffine(
        mask.astype(np.float32),
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    return np.clip(out, 0.0, 1.0)


def warp_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """[N,2] frame px -> [N,2] crop px."""
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
