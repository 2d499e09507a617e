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
def radial_bins(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, starts, counts): the rfft2 half-spectrum's bins below radius S//2 sorted by integer radius, where
    each radius starts in that order, and how many bins it has (every radius has at least one)."""
    fy = np.fft.fftfreq(size) * size  # [S] row frequencies in cycles per crop
    fx = np.fft.rfftfreq(size) * size  # [S//2+1]
    radius = np.hypot(fy[:, None], fx[None, :]).astype(np.int64).ravel()  # [S*(S//2+1)]
    keep = np.flatnonzero(radius < size // 2)
    order = keep[np.argsort(radius[keep], kind="stable")]
    counts = np.bincount(radius[order], minlength=size // 2)
    return order, np.concatenate([[0], np.cumsum(counts)[:-1]]), counts


@functools.cache
def hann2d(size: int) -> np.ndarray:
    return np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)


def azimuthal_profile(gray: np.ndarray) -> np.ndarray:
    """[N,S,S] float -> [N,S//2] mean log power per integer radius (Hann window against edge leakage)."""
    n, size = gray.shape[0], gray.shape[1]
    centred = (gray - gray.mean(axis=(1, 2), keepdims=True)) * hann2d(size)
    spec = scipy.fft.rfft2(centred.astype(np.float32), workers=-1)  # [N,S,S//2+1] complex64
    log_power = np.log(spec.real**2 + spec.imag**2 + 1e-8).reshape(n, -1)  # [N,S*(S//2+1)]
    # a sum per row and radius, not a matmul: BLAS blocks by N, so a crop's profile would depend on its batch
    order, starts, counts = radial_bins(size)
    return np.add.reduceat(log_power[:, order].astype(np.float64), starts, axis=1) / counts  # [N,S//2]


@DETECTORS.register("spectrum")
class SpectrumDetector(FeatureDetector):
    """Features: the radial profile minus its mean (brightness-invariant), high radii included."""

    needs = frozenset({"crops"})
    per_row = True

    def features(self, x: DetectorInput) -> np.ndarray:
        profile = azimuthal_profile(to_gray(x.crops))
        return profile - profile.mean(axis=1, keepdims=True)
