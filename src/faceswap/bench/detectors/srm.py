"""`srm`: statistics of SRM high-pass residuals + a linear classifier (Fridrich & Kodovsky 2012).

Residuals of fixed high-pass filters suppress face content and keep the noise a camera (or a
generator's decoder and a blend) leaves. Features per filter: the histogram of the quantised,
truncated residual per RGB channel, its mean |r| and std, and the horizontal co-occurrence of
neighbouring residual pairs on luma (a SPAM-like texture statistic).
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.bench.detectors.base import FeatureDetector, to_gray
from faceswap.bench.detectors.registry import DETECTORS
from faceswap.bench.samples import Samples

_KV = [[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2], [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]]
SRM_FILTERS: dict[str, np.ndarray] = {
    "first_h": np.array([[0, 0, 0], [0, -1, 1], [0, 0, 0]], np.float32),
    "first_v": np.array([[0, 0, 0], [0, -1, 0], [0, 1, 0]], np.float32),
    "second_h": np.array([[0, 0, 0], [1, -2, 1], [0, 0, 0]], np.float32) / 2,
    "second_v": np.array([[0, 1, 0], [0, -2, 0], [0, 1, 0]], np.float32) / 2,
    "kb3": np.array([[-1, 2, -1], [2, -4, 2], [-1, 2, -1]], np.float32) / 4,
    "edge3": np.array([[-1, 2, -1], [2, -4, 2], [0, 0, 0]], np.float32) / 4,
    "kv5": np.array(_KV, np.float32) / 12,
}


def residual(image: np.ndarray, kernel: np.ndarray, border: int) -> np.ndarray:
    """High-pass residual of one [S,S] float channel, image border dropped."""
    res = cv2.filter2D(image, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
    return res[border:-border, border:-border] if border else res


def srm_features(crops: np.ndarray, q: float = 1.0, t: int = 2) -> np.ndarray:
    """[N,S,S,3] uint8 -> [N,D] residual statistics."""
    gray = to_gray(crops)
    rgb = crops.astype(np.float32)
    bins = 2 * t + 1
    rows = []
    for i in range(len(crops)):
        feats: list[np.ndarray] = []
        for kernel in SRM_FILTERS.values():
            for ch in range(3):
                r = residual(np.ascontiguousarray(rgb[i, ..., ch]), kernel, 2)
                quant = np.clip(np.rint(r / q), -t, t).astype(np.int64) + t
                feats.append(np.bincount(quant.ravel(), minlength=bins) / quant.size)
                feats.append(np.array([np.abs(r).mean(), r.std()]))
            rg = np.clip(np.rint(residual(gray[i], kernel, 2) / q), -t, t).astype(np.int64) + t
            pairs = rg[:, :-1] * bins + rg[:, 1:]  # horizontal neighbour pairs
            feats.append(np.bincount(pairs.ravel(), minlength=bins * bins) / pairs.size)
        rows.append(np.concatenate(feats))
    return np.stack(rows)


@DETECTORS.register("srm")
class SRMDetector(FeatureDetector):
    name = "srm"
    needs = frozenset({"crops"})

    def __init__(self, seed: int = 0, c_grid: tuple[float, ...] = (0.01, 0.1, 1.0), q: float = 1.0, t: int = 2):
        super().__init__(seed, c_grid)
        self.q, self.t = q, t

    def features(self, samples: Samples) -> np.ndarray:
        return srm_features(samples.crops, self.q, self.t)
