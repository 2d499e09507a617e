"""`spectrum`: azimuthally averaged log power spectrum + logistic regression (Durall et al. 2020).

Up-sampling layers in a generator leave excess or missing high-frequency energy; the 1-D radial
profile of the spectrum exposes it independently of face content.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft

from faceswap.bench.detectors.base import FeatureDetector, to_gray
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.inputs import DetectorInput


@functools.cache
def radial_average_matrix(size: int) -> np.ndarray:
    """[S*(S//2+1), S//2] weights that average an rfft2 half-spectrum over each integer radius."""
    fy = np.fft.fftfreq(size) * size  # [S] row frequencies in cycles per crop
    fx = np.fft.rfftfreq(size) * size  # [S//2+1]
    radius = np.hypot(fy[:, None], fx[None, :]).astype(np.int64).ravel()  # [S*(S//2+1)]
    n_bins = size // 2
    weights = np.zeros((radius.size, n_bins), np.float32)
    keep = radius < n_bins
    weights[np.flatnonzero(keep), radius[keep]] = 1.0
    return weights / np.maximum(weights.sum(axis=0, keepdims=True), 1.0)


@functools.cache
def hann2d(size: int) -> np.ndarray:
    return np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)


def azimuthal_profile(gray: np.ndarray) -> np.ndarray:
    """[N,S,S] float -> [N,S//2] mean log power per integer radius (Hann window against edge leakage)."""
    n, size = gray.shape[0], gray.shape[1]
    centred = (gray - gray.mean(axis=(1, 2), keepdims=True)) * hann2d(size)
    spec = scipy.fft.rfft2(centred.astype(np.float32), workers=-1)  # [N,S,S//2+1] complex64
    log_power = np.log(spec.real**2 + spec.imag**2 + 1e-8).reshape(n, -1)
    return (log_power @ radial_average_matrix(size)).astype(np.float64)


@DETECTORS.register("spectrum")
class SpectrumDetector(FeatureDetector):
    """Features: the radial profile minus its mean (brightness-invariant), high radii included."""

    needs = frozenset({"crops"})
    per_row = True

    def features(self, x: DetectorInput) -> np.ndarray:
        profile = azimuthal_profile(to_gray(x.crops))
        return profile - profile.mean(axis=1, keepdims=True)
