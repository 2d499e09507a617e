"""Paste a processed face back into the frame through the inverse alignment, with any blender.

Only the face's bounding rectangle is touched; inside it, pixels where the warped mask is exactly 0
keep their value bit for bit (every blender guarantees this)."""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.face.align import invert_matrix, transform_points
from faceswap.postprocess.blend import blend


def face_roi(matrix: np.ndarray, crop_size: int, frame_shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """Frame rectangle (x0, y0, x1, y1) covered by the crop, clipped to the frame; None if outside."""
    inv = invert_matrix(matrix)
    s = float(crop_size)
    corners = transform_points(np.array([[0, 0], [s, 0], [0, s], [s, s]]), inv)
    h, w = frame_shape[:2]
    x0, y0 = np.floor(corners.min(0)).astype(int) - 1
    x1, y1 = np.ceil(corners.max(0)).astype(int) + 1
    x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), w), min(int(y1), h)
    return None if x1 <= x0 or y1 <= y0 else (x0, y0, x1, y1)


def paste_face(
    frame: np.ndarray, face: np.ndarray, mask: np.ndarray, matrix: np.ndarray, mode: str = "alpha"
) -> np.ndarray:
    """frame [H,W,3] uint8 (modified in place and returned), face [S,S,3] uint8, mask [S,S] float in [0,1]."""
    roi = face_roi(matrix, face.shape[0], frame.shape)
    if roi is None:
        return frame
    x0, y0, x1, y1 = roi
    warp = invert_matrix(matrix).copy()
    warp[:, 2] -= (x0, y0)  # crop -> ROI
    dsize = (x1 - x0, y1 - y0)
    face_w = cv2.warpAffine(face, warp, dsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask_w = cv2.warpAffine(
        mask.astype(np.float32), warp, dsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0
    )
    mask_w[mask_w < 1.0 / 255.0] = 0.0
    region = frame[y0:y1, x0:x1]
    frame[y0:y1, x0:x1] = blend(mode, face_w, region, np.clip(mask_w, 0.0, 1.0))
    return frame
