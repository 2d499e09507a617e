"""`phase`: statistics of the phase-only reconstruction (in the spirit of SPSL, Liu et al. 2021).

Keeping the phase of the spectrum and setting every magnitude to one whitens the image: what is
left are edges, local structure and the periodic traces of up-sampling. Features: the histogram
of the standardised reconstruction, its energy on a coarse spatial grid (a pasted face changes
where structure sits), and its autocorrelation at small lags along rows and columns (periodicity
left by transposed convolutions / nearest up-sampling).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from faceswap.bench.detectors.base import FeatureDetector, to_gray
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.inputs import DetectorInput


def phase_only(gray: np.ndarray) -> np.ndarray:
    """[N,S,S] -> [N,S,S] real part of ifft2(exp(i * angle(fft2(x)))), standardised per image."""
    spec = scipy.fft.fft2((gray - gray.mean(axis=(1, 2), keepdims=True)).astype(np.float32), workers=-1)
    unit = spec / np.maximum(np.abs(spec), 1e-12)  # e^{i phase}, complex64
    recon = scipy.fft.ifft2(unit, workers=-1).real
    recon -= recon.mean(axis=(1, 2), keepdims=True)
    return recon / (recon.std(axis=(1, 2), keepdims=True) + 1e-8)


def phase_features(crops: np.ndarray, grid: int = 8, lags: int = 4, hist_bins: int = 16) -> np.ndarray:
    """[N,S,S,3] uint8 -> [N,D]."""
    recon = phase_only(to_gray(crops))  # [N,S,S]
    n, size = recon.shape[:2]
    edges = np.linspace(-4.0, 4.0, hist_bins + 1)
    idx = np.clip(np.digitize(recon, edges[1:-1]), 0, hist_bins - 1).reshape(n, -1)  # [N,S*S] bin per pixel
    offsets = (np.arange(n) * hist_bins)[:, None]
    hist = np.bincount((idx + offsets).ravel(), minlength=n * hist_bins).reshape(n, hist_bins) / (size * size)
    cell = size // grid
    energy = (recon[:, : cell * grid, : cell * grid] ** 2).reshape(n, grid, cell, grid, cell).mean(axis=(2, 4))
    auto = []
    for lag in range(1, lags + 1):
        auto.append((recon[:, :, lag:] * recon[:, :, :-lag]).mean(axis=(1, 2)))
        auto.append((recon[:, lag:, :] * recon[:, :-lag, :]).mean(axis=(1, 2)))
    kurt = (recon**4).mean(axis=(1, 2))[:, None]
    return np.concatenate([hist, np.log(energy.reshape(n, -1) + 1e-6), np.stack(auto, axis=1), kurt], axis=1)


@DETECTORS.register("phase")
class PhaseDetector(FeatureDetector):
    needs = frozenset({"crops"})
    per_row = True

    def features(self, x: DetectorInput) -> np.ndarray:
        return phase_features(x.crops)
