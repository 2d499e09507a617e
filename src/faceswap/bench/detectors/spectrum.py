"""`spectrum`: azimuthally averaged log power spectrum + logistic regression (Durall et al. 2020).

Up-sampling layers in a generator leave excess or missing high-frequency energy; the 1-D radial
profile of the spectrum exposes it independently of face content.
"""

from __future__ import annotations

import numpy as np

from faceswap.bench.detectors.base import FeatureDetector, to_gray
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.samples import Samples


def radial_bins(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer radius of every pixel of a centred [size,size] spectrum and pixel count per radius."""
    yy, xx = np.indices((size, size))
    radius = np.hypot(yy - size // 2, xx - size // 2).astype(np.int64)  # [S,S]
    return radius, np.bincount(radius.ravel())


def azimuthal_profile(gray: np.ndarray, n_bins: int | None = None) -> np.ndarray:
    """[N,S,S] float -> [N,R] mean log power per integer radius (R = S//2 unless `n_bins`)."""
    n, size = gray.shape[0], gray.shape[1]
    centred = gray - gray.mean(axis=(1, 2), keepdims=True)
    window = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)  # limits edge leakage
    spec = np.fft.fftshift(np.fft.fft2(centred * window), axes=(1, 2))
    log_power = np.log(np.abs(spec) ** 2 + 1e-8)  # [N,S,S]
    radius, counts = radial_bins(size)
    r_max = n_bins or size // 2
    flat_r = radius.ravel()
    keep = flat_r < r_max
    profile = np.empty((n, r_max), dtype=np.float64)
    for i in range(n):
        profile[i] = np.bincount(flat_r[keep], weights=log_power[i].ravel()[keep], minlength=r_max)[:r_max]
    return profile / counts[:r_max]


@DETECTORS.register("spectrum")
class SpectrumDetector(FeatureDetector):
    """Features: the radial profile minus its mean (brightness-invariant), high radii included."""

    name = "spectrum"
    needs = frozenset({"crops"})

    def features(self, samples: Samples) -> np.ndarray:
        profile = azimuthal_profile(to_gray(samples.crops))
        return profile - profile.mean(axis=1, keepdims=True)
