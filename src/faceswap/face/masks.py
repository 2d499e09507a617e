"""Masks from landmarks in crop pixels: face hull (with forehead for whole_face/head), eyes, mouth."""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.face.landmarks import BROWS, JAW, LEFT_EYE, MOUTH, RIGHT_EYE


def _fill_hull(points: np.ndarray, size: int) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255, lineType=cv2.LINE_8)
    return mask


def forehead_points(landmarks: np.ndarray, lift: float = 0.6) -> np.ndarray:
    """Brow points pushed up along the face's vertical axis by `lift` x (brow-to-chin distance) / 2."""
    lm = np.asarray(landmarks, np.float64)
    brows = lm[BROWS]
    chin = lm[8]
    brow_centre = brows.mean(0)
    up = brow_centre - chin
    length = np.linalg.norm(up)
    if length < 1e-6:
        return brows
    # arch: the middle rises most, the ends less, like a hairline
    offsets = np.linspace(-1, 1, len(brows))
    arch = 1.0 - 0.35 * offsets**2
    return brows + (up / length * lift * length / 2.0)[None] * arch[:, None]


def hull_mask(landmarks_crop: np.ndarray, size: int, face_type: str = "full") -> np.ndarray:
    """float32 [S,S] in {0,1}: convex hull of the 68 points, extended over the forehead for whole_face/head."""
    lm = np.asarray(landmarks_crop, np.float64)
    points = lm
    if face_type in ("whole_face", "head"):
        points = np.concatenate([lm, forehead_points(lm, 0.6 if face_type == "whole_face" else 0.9)])
    return _fill_hull(points, size).astype(np.float32) / 255.0


def _region_mask(points_groups: list[np.ndarray], size: int, grow: float) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    for pts in points_groups:
        mask |= _fill_hull(pts, size)
        span = float(np.ptp(pts[:, 0]))
        radius = max(1, round(span * grow))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        mask = np.maximum(mask, cv2.dilate(_fill_hull(pts, size), kernel))
    return mask.astype(np.float32) / 255.0


def eye_mask(landmarks_crop: np.ndarray, size: int, grow: float = 0.35) -> np.ndarray:
    """float32 [S,S]: both eyes (hull of each, dilated by `grow` x eye width) for an eye-priority loss."""
    lm = np.asarray(landmarks_crop, np.float64)
    return _region_mask([lm[RIGHT_EYE], lm[LEFT_EYE]], size, grow)


def mouth_mask(landmarks_crop: np.ndarray, size: int, grow: float = 0.15) -> np.ndarray:
    """float32 [S,S]: outer lip hull dilated by `grow` x mouth width, for a mouth-priority loss."""
    lm = np.asarray(landmarks_crop, np.float64)
    return _region_mask([lm[MOUTH]], size, grow)


def jaw_points(landmarks: np.ndarray) -> np.ndarray:
    return np.asarray(landmarks)[JAW]


def feather(mask01: np.ndarray, radius: int) -> np.ndarray:
    """Erode by `radius` then blur by it, so the soft edge stays inside the hard mask."""
    if radius <= 0:
        return mask01.astype(np.float32)
    grow = radius + 1  # the blur reaches `radius` px; erode one more so nothing leaks outside
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * grow + 1, 2 * grow + 1))
    eroded = cv2.erode(mask01.astype(np.float32), kernel)
    k = 2 * radius + 1
    return np.clip(cv2.GaussianBlur(eroded, (k, k), radius / 2.0), 0.0, 1.0)
