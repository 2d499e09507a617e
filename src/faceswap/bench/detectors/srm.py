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
from faceswap.bench.inputs import DetectorInput

_KV = [[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2], [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]]
# name -> (integer kernel, divisor): residual = filter2D(x, kernel) / divisor
SRM_FILTERS: dict[str, tuple[np.ndarray, float]] = {
    "first_h": (np.array([[0, 0, 0], [0, -1, 1], [0, 0, 0]]), 1.0),
    "first_v": (np.array([[0, 0, 0], [0, -1, 0], [0, 1, 0]]), 1.0),
    "second_h": (np.array([[0, 0, 0], [1, -2, 1], [0, 0, 0]]), 2.0),
    "second_v": (np.array([[0, 1, 0], [0, -2, 0], [0, 1, 0]]), 2.0),
    "kb3": (np.array([[-1, 2, -1], [2, -4, 2], [-1, 2, -1]]), 4.0),
    "edge3": (np.array([[-1, 2, -1], [2, -4, 2], [0, 0, 0]]), 4.0),
    "kv5": (np.array(_KV), 12.0),
}
_KERNELS = [(k.astype(np.float32), d) for k, d in SRM_FILTERS.values()]


def residual(plane: np.ndarray, kernel: np.ndarray, divisor: float, out: np.ndarray | None = None) -> np.ndarray:
    """High-pass residual of one [S,S] uint8 or float32 plane, 2 px border dropped -> float32 [S-4,S-4] (into `out`).

    Both give the same bits: the filter's sums of small integers are exact in float32. A float32 plane filters
    2-3x faster (OpenCV's uint8 -> float path is not vectorised as well).
    """
    res = cv2.filter2D(plane, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)[2:-2, 2:-2]
    return np.multiply(res, np.float32(1.0 / divisor), out=out)


def _residuals(planes: list[np.ndarray]) -> np.ndarray:
    """Every filter on every plane -> float32 [len(planes)*K,S-4,S-4], plane-major."""
    side = planes[0].shape[0] - 4
    res = np.empty((len(planes) * len(_KERNELS), side, side), np.float32)
    for i, (plane, (kernel, divisor)) in enumerate((p, kd) for p in planes for kd in _KERNELS):
        residual(plane, kernel, divisor, out=res[i])
    return res


def _float32_above(edge: float) -> np.float32:
    """The smallest float32 >= edge: for float32 r, r < edge exactly when r < this (a float32 compare is faster)."""
    e32 = np.float32(edge)
    return e32 if float(e32) >= edge else np.nextafter(e32, np.float32(np.inf))


def _crop_features(crop: np.ndarray, luma: np.ndarray, q: float, t: int, edges: list[np.float32]) -> np.ndarray:
    bins = 2 * t + 1
    res = _residuals(list(np.ascontiguousarray(crop.transpose(2, 0, 1), dtype=np.float32)))  # [3K,H,W]
    n_maps, n_px = res.shape[0], res[0].size
    # histogram of clip(round(r / q), -t, t) from threshold counts (no quantised copy of every map)
    flat = res.reshape(n_maps, -1)
    below = np.stack([np.count_nonzero(flat < e, axis=1) for e in edges], axis=1)  # [3K,2t]
    cum = np.concatenate([np.zeros((n_maps, 1)), below, np.full((n_maps, 1), n_px)], axis=1)
    hist = np.diff(cum, axis=1) / n_px  # [3K,B]
    moments = np.stack([np.abs(res).mean(axis=(1, 2)), res.std(axis=(1, 2))], axis=1)  # [3K,2]
    levels = _residuals([luma.astype(np.float32)])  # [K,H,W] float32, quantised in place to 0..2t
    levels /= q
    np.clip(np.rint(levels, out=levels), -t, t, out=levels)
    luma_q = levels.astype(np.int32) + t
    k_off = (np.arange(len(_KERNELS), dtype=np.int32) * bins * bins)[:, None, None]
    pairs = luma_q[..., :-1] * bins + luma_q[..., 1:] + k_off  # horizontal neighbours on luma, [K,H,W-1]
    cooc = np.bincount(pairs.ravel(), minlength=len(_KERNELS) * bins * bins) / pairs[0].size
    return np.concatenate([hist.ravel(), moments.ravel(), cooc])


def srm_features(crops: np.ndarray, q: float = 1.0, t: int = 2) -> np.ndarray:
    """[N,S,S,3] uint8 -> [N,D] residual statistics."""
    luma = np.clip(to_gray(crops) + 0.5, 0, 255).astype(np.uint8)  # [N,S,S]
    edges = [_float32_above((e + 0.5) * q) for e in range(-t, t)]  # histogram bin edges between -t..t
    return np.stack([_crop_features(c, g, q, t, edges) for c, g in zip(crops, luma, strict=True)])


@DETECTORS.register("srm")
class SRMDetector(FeatureDetector):
    needs = frozenset({"crops"})
    per_row = True
    feature_params = ("q", "t")

    def __init__(self, seed: int = 0, c_grid: tuple[float, ...] = (0.01, 0.1, 1.0), q: float = 1.0, t: int = 2):
        super().__init__(seed, c_grid)
        self.q, self.t = q, t

    def features(self, x: DetectorInput) -> np.ndarray:
        return srm_features(x.crops, self.q, self.t)
