"""Sharpening of the generated face: low-resolution models look soft next to a sharp frame."""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.utils.errors import FaceswapError

SHARPEN_MODES = ("none", "unsharp", "box")


def sharpen(image: np.ndarray, mode: str = "unsharp", amount: float = 0.5, radius: float = 1.0) -> np.ndarray:
    """Unsharp mask (Gaussian) or box sharpening: out = img + amount * (img - blur(img)); uint8 in/out."""
    if mode not in SHARPEN_MODES:
        raise FaceswapError(f"unknown sharpen mode '{mode}'", f"choose one of: {', '.join(SHARPEN_MODES)}")
    if mode == "none" or amount <= 0:
        return image
    img = image.astype(np.float32)
    if mode == "unsharp":
        blurred = cv2.GaussianBlur(img, (0, 0), sigmaX=max(radius, 0.1))
    else:
        k = 2 * max(1, round(radius)) + 1
        blurred = cv2.blur(img, (k, k))
    out = img + amount * (img - blurred)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def scale_face(image: np.ndarray, mask: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale the face (and its mask) about the crop centre, DeepFaceLab's "face scale" modifier."""
    if abs(scale - 1.0) < 1e-6:
        return image, mask
    size = image.shape[0]
    mat = cv2.getRotationMatrix2D(((size - 1) / 2.0, (size - 1) / 2.0), 0.0, scale)
    img = cv2.warpAffine(image, mat, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    msk = cv2.warpAffine(mask, mat, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    return img, msk
