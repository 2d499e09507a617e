"""Similarity alignment of a face to the mean 68-point face (Umeyama 1991) and exact paste-back.

The 2x3 `matrix` maps frame pixels to crop pixels (`cv2.warpAffine` convention); it is stored in the
face-set manifest so every later command can re-project points or paste a generated face back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.face.mean_face import MEAN_FACE_68
from faceswap.utils.errors import ConfigError

#: where the mean face sits in the crop per face type: (fraction of the crop its 68-point box spans,
#: vertical centre of the crop in mean-face units; < 0.5 moves the crop up to include the forehead)
FACE_TYPES: dict[str, tuple[float, float]] = {
    "half": (1.05, 0.47),  # brows to lower lip, cheeks cut: the tightest, highest detail
    "full": (0.80, 0.50),  # brows to chin, DeepFaceLab's "full face"
    "whole_face": (0.64, 0.40),  # full face plus forehead
    "head": (0.46, 0.34),  # whole head with hair
}

#: points used for the fit: brows, nose, eyes, mouth (the jaw line is unreliable off-frontal)
FIT_POINTS = slice(17, 68)


@dataclass(frozen=True)
class AlignedFace:
    crop: np.ndarray  # [S,S,3] uint8
    matrix: np.ndarray  # [2,3] float64, frame -> crop
    landmarks_crop: np.ndarray  # [68,2] float32, crop pixels


def check_face_type(face_type: str) -> str:
    if face_type not in FACE_TYPES:
        raise ConfigError(f"unknown face_type '{face_type}'", f"choose one of: {', '.join(FACE_TYPES)}")
    return face_type


def template_points(size: int, face_type: str = "full", padding: float = 0.0) -> np.ndarray:
    """The mean face placed in an S x S crop for `face_type`; padding > 0 zooms out by (1 + padding)."""
    span, centre_y = FACE_TYPES[check_face_type(face_type)]
    span = span / (1.0 + padding)
    centred = (MEAN_FACE_68.astype(np.float64) - np.array([0.5, centre_y])) * span + 0.5
    return centred * size  # [68,2]


def umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) with dst ~ M @ [src, 1]; [2,3]."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    cov = b.T @ a / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0  # no reflections
    rot = u @ np.diag(d) @ vt
    var_s = (a**2).sum() / len(src)
    scale = (sig * d).sum() / var_s if var_s > 0 else 1.0
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


def alignment_matrix(landmarks68: np.ndarray, size: int, face_type: str = "full", padding: float = 0.0) -> np.ndarray:
    """[2,3] frame -> crop matrix fitting the landmarks to the mean face template."""
    lm = np.asarray(landmarks68, np.float64)
    if lm.shape != (68, 2) or not np.isfinite(lm).all():
        raise ValueError(f"landmarks must be a finite [68,2] array, got {lm.shape}")
    return umeyama(lm[FIT_POINTS], template_points(size, face_type, padding)[FIT_POINTS])


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a [2,3] affine matrix to [N,2] points."""
    pts = np.asarray(points, np.float64)
    return pts @ np.asarray(matrix, np.float64)[:, :2].T + np.asarray(matrix, np.float64)[:, 2]


def invert_matrix(matrix: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(np.asarray(matrix, np.float64))


def align_face(
    image: np.ndarray, landmarks68: np.ndarray, size: int, face_type: str = "full", padding: float = 0.0
) -> AlignedFace:
    """Warp the face to an S x S crop; large downscales are pre-filtered so the crop does not alias."""
    matrix = alignment_matrix(landmarks68, size, face_type, padding)
    crop = warp_to_crop(image, matrix, size)
    landmarks_crop = transform_points(landmarks68, matrix).astype(np.float32)
    return AlignedFace(crop=crop, matrix=matrix, landmarks_crop=landmarks_crop)


def warp_to_crop(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """cv2.warpAffine of the crop; when it shrinks by more than 2x, the face's region is first reduced with
    an area filter (no aliasing) — only that region, so a 4K frame costs no more than a small one."""
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    if scale >= 0.5:
        return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    corners = transform_points(
        np.array([[0, 0], [size, 0], [0, size], [size, size]], np.float64), invert_matrix(matrix)
    )
    h, w = image.shape[:2]
    x0, y0 = np.clip(np.floor(corners.min(0)).astype(int) - 2, 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(corners.max(0)).astype(int) + 2, [x0 + 1, y0 + 1], [w, h])
    pre = 2.0 * scale
    region = cv2.resize(image[y0:y1, x0:x1], None, fx=pre, fy=pre, interpolation=cv2.INTER_AREA)
    # resize maps region px r to x = pre * (r + 0.5) - 0.5, and frame = r + (x0, y0): fold both into the matrix
    warp = matrix.copy()
    warp[:, 2] += matrix[:, :2] @ (np.array([x0, y0], np.float64) + 0.5 / pre - 0.5)
    warp[:, :2] /= pre
    return cv2.warpAffine(region, warp, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def paste_back(frame: np.ndarray, face_rgb: np.ndarray, mask01: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Warp a [S,S,3] face and its [S,S] mask back into a copy of `frame`; pixels where the warped mask
    is 0 keep their exact value. Only the face's bounding rectangle is touched (fast on large frames)."""
    out = frame.copy()
    size_h, size_w = face_rgb.shape[:2]
    inv = invert_matrix(matrix)
    corners = transform_points(np.array([[0, 0], [size_w, 0], [0, size_h], [size_w, size_h]], np.float64), inv)
    h, w = frame.shape[:2]
    x0, y0 = np.floor(corners.min(0)).astype(int) - 1
    x1, y1 = np.ceil(corners.max(0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return out
    roi_inv = inv.copy()
    roi_inv[:, 2] -= (x0, y0)  # crop -> ROI
    dsize = (x1 - x0, y1 - y0)
    face_w = cv2.warpAffine(face_rgb, roi_inv, dsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask_w = cv2.warpAffine(
        np.asarray(mask01, np.float32),
        roi_inv,
        dsize,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    mask_w = np.clip(mask_w, 0.0, 1.0)[..., None]  # [h,w,1]
    roi = out[y0:y1, x0:x1]
    blended = roi.astype(np.float32) * (1.0 - mask_w) + face_w.astype(np.float32) * mask_w
    out[y0:y1, x0:x1] = np.where(mask_w > 0, np.clip(blended + 0.5, 0, 255), roi).astype(frame.dtype)
    return out
