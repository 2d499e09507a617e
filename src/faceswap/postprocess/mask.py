"""Mask refinement in the aligned crop: erode/dilate and feather, sized relative to the face.

Masks are float32 `[S,S]` in [0,1]. Sizes are fractions of the crop side so that one setting means the
same on a 64 px and a 256 px model.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.utils.errors import FaceswapError

MASK_MODES = ("learned", "hull", "intersection", "union")


def relative_pixels(fraction: float, size: int) -> int:
    """A length given as a fraction of the crop side, rounded to whole pixels."""
    return round(abs(fraction) * size)


def combine_masks(mode: str, learned: np.ndarray | None, hull: np.ndarray | None) -> np.ndarray:
    """Choose/merge the model's learned mask and the landmark hull mask (both `[S,S]` in [0,1])."""
    if mode not in MASK_MODES:
        raise FaceswapError(f"unknown mask mode '{mode}'", f"choose one of: {', '.join(MASK_MODES)}", param="mask")
    if mode in ("learned", "intersection", "union") and learned is None:
        raise FaceswapError(f"mask mode '{mode}' needs the model's learned mask", "use the hull mask", param="mask")
    if mode in ("hull", "intersection", "union") and hull is None:
        raise FaceswapError(
            f"mask mode '{mode}' needs landmarks for the hull mask", "use the learned mask", param="mask"
        )
    if mode == "learned":
        return learned.astype(np.float32)
    if mode == "hull":
        return hull.astype(np.float32)
    if mode == "intersection":
        return np.minimum(learned, hull).astype(np.float32)
    return np.maximum(learned, hull).astype(np.float32)


def erode_dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Positive `pixels` erodes (shrinks) the mask, negative dilates it; elliptical kernel."""
    if pixels == 0:
        return mask
    k = 2 * abs(pixels) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    op = cv2.erode if pixels > 0 else cv2.dilate
    return op(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)


def feather(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Soften the edge with a Gaussian of radius `pixels`; the border of the crop is forced to 0 first,
    so the pasted face never shows the crop's square edge."""
    out = mask.astype(np.float32).copy()
    border = max(1, pixels + 1)  # the blur reaches `pixels` inward: the outer ring stays exactly 0
    out[:border], out[-border:], out[:, :border], out[:, -border:] = 0, 0, 0, 0
    if pixels <= 0:
        return out
    k = 2 * pixels + 1
    return cv2.GaussianBlur(out, (k, k), sigmaX=pixels / 2.0, borderType=cv2.BORDER_CONSTANT)


def refine_mask(mask: np.ndarray, erode: float = 0.0, blur: float = 0.05) -> np.ndarray:
    """Threshold, erode (+) / dilate (-) and feather a crop mask; `erode`, `blur` are fractions of the side."""
    size = mask.shape[0]
    hard = (mask > 0.5).astype(np.float32)
    hard = erode_dilate(hard, int(np.sign(erode)) * relative_pixels(erode, size))
    soft = feather(hard, relative_pixels(blur, size))
    soft[soft < 1.0 / 255.0] = 0.0  # below one grey level: exactly untouched after paste
    return np.clip(soft, 0.0, 1.0)
