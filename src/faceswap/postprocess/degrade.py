"""Degrade the generated face to the target's blur and noise level, so the swap does not stand out
as the only sharp, clean region of a soft or grainy frame."""

from __future__ import annotations

import cv2
import numpy as np

_SIGMAS = (0.0, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def sharpness(image: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Variance of the Laplacian over the masked pixels (higher = sharper)."""
    lap = cv2.Laplacian(_gray(image), cv2.CV_32F)
    sel = lap[mask > 0.5] if mask is not None and (mask > 0.5).sum() > 16 else lap
    return float(sel.var())


def noise_sigma(image: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Immerkær's (1996) noise estimate: mean |3x3 Laplacian-difference response| * sqrt(pi/2) / 6.

    The kernel cancels smooth image structure, so the estimate is unbiased for additive Gaussian noise."""
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = np.abs(cv2.filter2D(_gray(image), cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT))
    sel = response[mask > 0.5] if mask is not None and (mask > 0.5).sum() > 16 else response
    return float(np.sqrt(np.pi / 2.0) * sel.mean() / 6.0)


def match_degradation(
    face: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None, seed: int = 0
) -> np.ndarray:
    """Blur `face` until its sharpness does not exceed `target`'s, then add the missing Gaussian noise."""
    goal = sharpness(target, mask)
    out = face
    for sigma in _SIGMAS:
        cand = face if sigma == 0 else cv2.GaussianBlur(face, (0, 0), sigmaX=sigma)
        out = cand
        if sharpness(cand, mask) <= goal:
            break
    missing = noise_sigma(target, mask) ** 2 - noise_sigma(out, mask) ** 2
    if missing > 0.25:
        rng = np.random.default_rng(seed)
        noisy = out.astype(np.float32) + rng.normal(0.0, np.sqrt(missing), out.shape).astype(np.float32)
        out = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    return out
