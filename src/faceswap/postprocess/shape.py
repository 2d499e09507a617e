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
from scipy.ndimage import distance_transform_edt
from scipy.spatial import Delaunay

from faceswap.face.align import transform_points, umeyama
from faceswap.face.detect import FaceBox
from faceswap.face.landmarks import create_landmarker
from faceswap.postprocess.sharpen import sharpen
from faceswap.utils.errors import ConfigError

SHAPE_POINTS = ("all", "inner")
SHAPE_AXES = {"xy": (1.0, 1.0), "y": (0.0, 1.0)}  # which coordinates shape_match moves
_LANDMARK_SIDE = 192  # the crop is up-sampled to this side for the landmarker: dlib's trees want > 100 px faces


@lru_cache(maxsize=1)
def _landmarker():
    return create_landmarker("dlib68")


def crop_landmarks(crop: np.ndarray, hint: np.ndarray, sharpen_amount: float = 0.0) -> np.ndarray:
    """68 landmarks [68,2] of the face in an aligned crop [S,S,3], located from `hint` [68,2] (crop px).

    `sharpen_amount` > 0 unsharp-masks the (up-sampled) copy that is measured: dlib's trees drift toward
    their mean shape on a soft face, so a blurry generated face would be measured as more frontal."""
    side = crop.shape[0]
    scale = max(1.0, _LANDMARK_SIDE / side)
    big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else crop
    if sharpen_amount > 0:
        big = sharpen(big, "unsharp", sharpen_amount, radius=scale)  # ~1 crop pixel
    (x0, y0), (x1, y1) = hint.min(0) * scale, hint.max(0) * scale
    box = FaceBox(float(x0), float(y0), float(x1), float(y1), 1.0)
    return np.asarray(_landmarker()(big, box), np.float32) / scale


def piecewise_affine_warp(image: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Warp image [S,S,C] so that points `src` [K,2] move to `dst` [K,2]; the crop border stays fixed."""
    side = image.shape[0]
    border = _border_points(side)
    src_all = np.concatenate([src, border]).astype(np.float64)  # [K+B,2]
    dst_all = np.concatenate([dst, border]).astype(np.float64)
    simplices = Delaunay(dst_all).simplices  # [T,3] triangles of the destination mesh
    labels = _triangle_labels(dst_all, simplices, side)  # [S,S] triangle index per output pixel
    ones = np.ones((len(simplices), 3, 1))
    # per triangle, the affine map dst -> src: [x y 1] @ A = src, A [T,3,2] (pinv copes with slivers)
    affine = np.linalg.pinv(np.concatenate([dst_all[simplices], ones], axis=2)) @ src_all[simplices]
    ys, xs = np.mgrid[0:side, 0:side]
    pixels = np.stack([xs, ys, np.ones_like(xs)], axis=-1).astype(np.float64)  # [S,S,3]
    mapped = np.einsum("hwi,hwij->hwj", pixels, affine[labels]).astype(np.float32)  # [S,S,2]
    return cv2.remap(image, mapped[..., 0], mapped[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _triangle_labels(points: np.ndarray, simplices: np.ndarray, side: int) -> np.ndarray:
    """Rasterise the mesh: the index of the triangle covering each pixel [S,S] (nearest one on slivers)."""
    labels = np.full((side, side), -1, np.int32)
    for k, tri in enumerate(simplices):
        cv2.fillConvexPoly(labels, np.round(points[tri]).astype(np.int32), int(k))
    missing = labels < 0
    if missing.any():
        _, (iy, ix) = distance_transform_edt(missing, return_indices=True)
        labels = labels[iy, ix]
    return labels


def match_shape(
    generated: np.ndarray,
    source_landmarks: np.ndarray,
    strength: float = 1.0,
    points: str = "all",
    placement: float = 0.0,
    measure_sharpen: float = 0.0,
    axes: str = "xy",
) -> np.ndarray:
    """generated [S,S,3] uint8, source_landmarks [68,2] crop px -> generated face warped onto the source's shape.

    `placement` (0..1) first moves the matched points as a block (the similarity that best fits them onto
    the source's: where the features sit, their tilt and size), then `strength` moves the rest of the way.
    The block's placement carries pose; the points' arrangement within it carries more of the identity.
    `measure_sharpen` sharpens the copy whose landmarks are measured (see crop_landmarks). `axes="y"` moves
    the points only up and down: the vertical layout of eyes, nose and mouth is what a pose estimator reads
    as pitch, while widths (eye spacing, mouth, nose) carry much of the identity."""
    if points not in SHAPE_POINTS:
        raise ConfigError(
            f"unknown shape points '{points}'", f"choose one of: {', '.join(SHAPE_POINTS)}", param="shape_points"
        )
    if axes not in SHAPE_AXES:
        raise ConfigError(f"unknown shape axes '{axes}'", f"choose one of: {', '.join(SHAPE_AXES)}", param="shape_axes")
    if strength <= 0 and placement <= 0:
        return generated
    found = crop_landmarks(generated, source_landmarks, measure_sharpen)  # [68,2]
    keep = slice(17, 68) if points == "inner" else slice(0, 68)
    placed = found[keep]  # [K,2]
    if placement > 0:
        moved = transform_points(placed, umeyama(placed, source_landmarks[keep]))  # [K,2]
        placed = placed + float(placement) * (moved - placed)
    step = float(strength) * np.asarray(SHAPE_AXES[axes])  # [2] per-coordinate strength
    target = placed + step * (source_landmarks[keep] - placed)
    return piecewise_affine_warp(generated, found[keep], target)


def _border_points(side: int) -> np.ndarray:
    """Fixed anchors on the crop border (corners and edge midpoints) [8,2]."""
    e = float(side - 1)
    m = e / 2
    return np.array([[0, 0], [m, 0], [e, 0], [e, m], [e, e], [m, e], [0, e], [0, m]], np.float64)
