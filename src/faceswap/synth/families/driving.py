"""Driving expressions from a still: open a face's mouth by a landmark mesh warp and paint its interior.

The embedded sample has only closed-mouth stills, so the figure and the tests make an open-mouthed driving
frame this way; it also gives `generate` a driver when only one photo of a person exists.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.synth.families.mesh import fill_polygon, warp_within_ring

#: how far each point moves with the jaw when the mouth opens (index: weight); the upper lip rises a little
_OPENING = {
    4: 0.1, 5: 0.35, 6: 0.6, 7: 0.85, 8: 1.0, 9: 0.85, 10: 0.6, 11: 0.35, 12: 0.1,
    55: 0.6, 56: 0.9, 57: 1.0, 58: 0.9, 59: 0.6, 65: 0.9, 66: 1.0, 67: 0.9,
    50: -0.08, 51: -0.1, 52: -0.08, 61: -0.08, 62: -0.1, 63: -0.08,
}  # fmt: skip
_DARK = np.array([38, 10, 12], np.float32)  # the mouth's shadowed interior (RGB)
_TONGUE = np.array([150, 62, 64], np.float32)
_TEETH = np.array([214, 202, 186], np.float32)


def open_mouth(image: np.ndarray, landmarks: np.ndarray, amount: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """image [H,W,3] uint8, landmarks [68,2] -> (the face with its jaw dropped by `amount` x mouth width and a
    dark interior with upper teeth painted between the lips, its landmarks [68,2])."""
    lm = np.asarray(landmarks, np.float64)
    down = lm[8] - lm[27]
    down /= max(np.linalg.norm(down), 1e-6)
    drop = amount * float(np.linalg.norm(lm[54] - lm[48]))
    moved = lm.copy()
    for index, weight in _OPENING.items():
        moved[index] += down * drop * weight
    patch, ring, box = warp_within_ring(image, lm, moved, margin=0.3)
    interior = _interior(moved, down, drop, box)  # [h,w,3] float
    hole = fill_polygon(moved[60:68], box, convex=False)  # [h,w]
    alpha = cv2.GaussianBlur(hole, (5, 5), 1.0)[..., None] * hole[..., None]
    painted = alpha * interior + (1.0 - alpha) * patch.astype(np.float32)
    out = image.copy()
    out[box.slices] = np.where(ring[..., None] > 0, np.clip(np.rint(painted), 0, 255), out[box.slices])
    return out, moved.astype(np.float32)


def _interior(moved: np.ndarray, down: np.ndarray, drop: float, box) -> np.ndarray:
    """A painted mouth interior [h,w,3] float32: upper teeth under the lip, a dark cavity, the tongue below."""
    upper = moved[[60, 61, 62, 63, 64]]  # [5,2] the upper inner lip
    profile = np.array([0.2, 0.9, 1.0, 0.9, 0.2])[:, None]
    teeth = fill_polygon(np.concatenate([upper, (upper + down * drop * 0.3 * profile)[::-1]]), box, convex=False)
    teeth = cv2.GaussianBlur(teeth, (3, 3), 0.7)[..., None]
    lower = moved[[64, 65, 66, 67, 60]]  # [5,2] the lower inner lip
    tongue = fill_polygon(np.concatenate([lower, (lower - down * drop * 0.25 * profile)[::-1]]), box, convex=False)
    tongue = cv2.GaussianBlur(tongue, (7, 7), 2.0)[..., None]
    cavity = tongue * _TONGUE + (1.0 - tongue) * _DARK
    return teeth * _TEETH + (1.0 - teeth) * cavity
