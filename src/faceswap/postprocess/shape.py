"""Shape matching: warp the generated face so that its 68 landmarks land on the source face's.

A swap autoencoder trained for minutes on a short clip renders the target's *typical* head pose and
mouth (its decoder has seen little else), so the swap drifts from the source's pose and expression. The
piecewise-affine warp moves the generated features to where the source's are. `strength` 0 is off, 1 moves
them all the way; the jaw line can be left out (`points: inner`) to keep more of the target's face shape.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from scipy.spatial import Delaunay

from faceswap.face.detect import FaceBox
from faceswap.face.landmarks import build_landmarker
from faceswap.utils.errors import ConfigError

SHAPE_POINTS = ("all", "inner")
_LANDMARK_SIDE = 192  # the crop is up-sampled to this side for the landmarker: dlib's trees want > 100 px faces


@lru_cache(maxsize=1)
def _landmarker():
    return build_landmarker("dlib68")


def crop_landmarks(crop: np.ndarray, hint: np.ndarray) -> np.ndarray:
    """68 landmarks [68,2] of the face in an aligned crop [S,S,3], located from `hint` [68,2] (crop px)."""
    side = crop.shape[0]
    scale = max(1.0, _LANDMARK_SIDE / side)
    big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else crop
    (x0, y0), (x1, y1) = hint.min(0) * scale, hint.max(0) * scale
    box = FaceBox(float(x0), float(y0), float(x1), float(y1), 1.0)
    return np.asarray(_landmarker()(big, box), np.float32) / scale


def piecewise_affine_warp(image: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Warp image [S,S,C] so that points `src` [K,2] move to `dst` [K,2]; the crop border stays fixed."""
    side = image.shape[0]
    border = _border_points(side)
    src_all = np.concatenate([src, border]).astype(np.float64)  # [K+B,2]
    dst_all = np.concatenate([dst, border]).astype(np.float64)
    tri = Delaunay(dst_all)
    ys, xs = np.mgrid[0:side, 0:side]
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)  # [S*S,2]
    simplex = tri.find_simplex(pixels)  # [S*S], -1 outside the hull (cannot happen: border is on it)
    simplex = np.where(simplex < 0, 0, simplex)
    affine = tri.transform[simplex]  # [S*S,3,2]
    bary2 = np.einsum("nij,nj->ni", affine[:, :2], pixels - affine[:, 2])  # [S*S,2]
    bary = np.concatenate([bary2, 1.0 - bary2.sum(1, keepdims=True)], axis=1)  # [S*S,3]
    corners = src_all[tri.simplices[simplex]]  # [S*S,3,2]
    mapped = np.einsum("ni,nij->nj", bary, corners).astype(np.float32).reshape(side, side, 2)
    return cv2.remap(image, mapped[..., 0], mapped[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def match_shape(
    generated: np.ndarray, source_landmarks: np.ndarray, strength: float = 1.0, points: str = "all"
) -> np.ndarray:
    """generated [S,S,3] uint8, source_landmarks [68,2] crop px -> generated face warped onto the source's shape."""
    if points not in SHAPE_POINTS:
        raise ConfigError(f"unknown postprocess.shape_points '{points}'", f"choose one of: {', '.join(SHAPE_POINTS)}")
    if strength <= 0:
        return generated
    found = crop_landmarks(generated, source_landmarks)  # [68,2]
    target = found + float(strength) * (source_landmarks - found)
    keep = slice(17, 68) if points == "inner" else slice(0, 68)
    return piecewise_affine_warp(generated, found[keep], target[keep])


def _border_points(side: int) -> np.ndarray:
    """Fixed anchors on the crop border (corners and edge midpoints) [8,2]."""
    e = float(side - 1)
    m = e / 2
    return np.array([[0, 0], [m, 0], [e, 0], [e, m], [e, e], [m, e], [0, e], [0, m]], np.float64)
