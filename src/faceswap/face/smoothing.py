"""Temporal landmark smoothing (One-Euro filter, Casiez et al. CHI 2012) and a jitter measure."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from faceswap.face.align import transform_points, umeyama


class OneEuroFilter:
    """Adaptive low-pass filter: strong smoothing when still, little lag when moving fast.

    Works on arrays of any shape in units of `scale` (pass the face size so the parameters do not depend
    on resolution). min_cutoff (Hz): lower = smoother at rest; beta: higher = less lag when moving.
    Defaults are tuned for landmarks in inter-ocular units (FaceTracker passes that scale).
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 4.0, d_cutoff: float = 1.0) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = float(min_cutoff), float(beta), float(d_cutoff)
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    @staticmethod
    def _alpha(cutoff: float, dt: float) -> float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        x = np.asarray(x, np.float64) / scale
        if self._x is None or self._t is None or t <= self._t:
            self._x, self._dx, self._t = x, np.zeros_like(x), t
            return x * scale
        dt = t - self._t
        dx = (x - self._x) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        speed = float(np.sqrt(np.mean(self._dx**2)))  # one cutoff for the whole shape keeps it rigid
        a = self._alpha(self.min_cutoff + self.beta * speed, dt)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x * scale


class TrackSmoother:
    """One One-Euro filter per track id, applied in frame order exactly as FaceTracker smooths its own tracks
    (landmarks in inter-ocular units). For tracks made elsewhere, e.g. by the video worker pool."""

    def __init__(self, options: dict | bool | None) -> None:
        self.options = {} if options is True else (dict(options) if isinstance(options, dict) else None)
        self.filters: dict[int, OneEuroFilter] = {}

    def __call__(self, track_id: int, raw: np.ndarray, t: float) -> np.ndarray:
        """raw [68,2] frame px, t in s -> smoothed [68,2] float32 (raw itself when smoothing is off)."""
        if self.options is None:
            return raw
        if track_id not in self.filters:
            self.filters[track_id] = OneEuroFilter(**self.options)
        scale = max(interocular(raw), 1.0)
        return self.filters[track_id](raw, t, scale).astype(np.float32)


def interocular(landmarks: np.ndarray) -> float:
    lm = np.asarray(landmarks)
    return float(np.linalg.norm(lm[36:42].mean(0) - lm[42:48].mean(0)))


def landmark_jitter(sequence: Sequence[np.ndarray]) -> float:
    """Mean frame-to-frame landmark motion left after removing the head's similarity motion,
    in % of the inter-ocular distance (0 = perfectly stable; detector noise on still footage ~1-3 %)."""
    values = []
    for prev, cur in itertools.pairwise(sequence):
        prev, cur = np.asarray(prev, np.float64), np.asarray(cur, np.float64)
        rigid = transform_points(prev, umeyama(prev, cur))
        iod = interocular(cur)
        if iod > 1e-6:
            values.append(float(np.linalg.norm(cur - rigid, axis=1).mean()) / iod * 100.0)
    return float(np.mean(values)) if values else 0.0
