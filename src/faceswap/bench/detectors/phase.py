"""`phase`: statistics of the phase-only reconstruction (in the spirit of SPSL, Liu et al. 2021).

Keeping the phase of the spectrum and setting every magnitude to one whitens the image: what is
left are edges, local structure and the periodic traces of up-sampling. Features: the histogram
of the standardised reconstruction, its energy on a coarse spatial grid (a pasted face changes
where structure sits), and its autocorrelation at small lags along rows and columns (periodicity
left by transposed convolutions / nearest up-sampling).
"""

from __future__ import annotations

import numpy as np

from faceswap.bench.detectors.base import FeatureDetector, to_gray
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.samples import Samples


def phase_only(gray: np.ndarray) -> np.ndarray:
    """[N,S,S] -> [N,S,S] real part of ifft2(exp(i * angle(fft2(x)))), standardised per image."""
    spec = np.fft.fft2(gray - gray.mean(axis=(1, 2), keepdims=True))
    recon = np.real(np.fft.ifft2(np.exp(1j * np.angle(spec))))
    recon -= recon.mean(axis=(1, 2), keepdims=True)
    return recon / (recon.std(axis=(1, 2), keepdims=True) + 1e-8)


def phase_features(crops: np.ndarray, grid: int = 8, lags: int = 4, hist_bins: int = 16) -> np.ndarray:
    """[N,S,S,3] uint8 -> [N,D]."""
    recon = phase_only(to_gray(crops))  # [N,S,S]
    n, size = recon.shape[:2]
    edges = np.linspace(-4.0, 4.0, hist_bins + 1)
    hist = np.stack([np.histogram(np.clip(r, -4, 4), bins=edges)[0] for r in recon]) / (size * size)
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
    name = "phase"
    needs = frozenset({"crops"})

    def features(self, samples: Samples) -> np.ndarray:
        return phase_features(samples.crops)
