"""Detector interface: declare `needs`, `fit` on train (select on val), `score` fake probabilities.

Detectors get a `DetectorInput` (pixels, landmarks, opaque video keys and media handles) and, in `fit`,
the labels as a separate array; never method names, ids or paths. `score` returns NaN for rows the
detector declines (`usable` is False: e.g. no audio track for avsync); the runner counts and drops them.

`FeatureDetector` covers the hand-crafted-feature detectors: subclasses only write `features`;
a standardiser + logistic regression is fitted on train with its C chosen by val AUC.
"""

from __future__ import annotations

import hashlib
import itertools
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from faceswap.bench.inputs import DetectorInput
from faceswap.bench.metrics import roc_auc
from faceswap.utils.errors import FaceswapError


class Detector(ABC):
    """A deepfake detector. Scores are P(fake) in [0, 1], one per sample."""

    needs: ClassVar[frozenset[str]] = frozenset({"crops"})
    uses_fakes: ClassVar[bool] = True  # False: trained without fakes (SBI) or not trained at all
    robust_to_crops: ClassVar[bool] = True  # crop perturbations change its input (robustness table)
    in_average: ClassVar[bool] = True  # provenance is reported in its own column
    oracle: ClassVar[str | None] = None  # what it is given beyond a deployed detector (then never averaged)

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.fitted = False

    @property
    def name(self) -> str:
        """The registered name (the only name a detector has; the class name if unregistered)."""
        from faceswap.bench.detectors.registry import DETECTORS

        return DETECTORS.name_of(self) or type(self).__name__

    def skip_reason(self, x: DetectorInput) -> str | None:
        """Why this detector cannot run on `x`, or None."""
        return x.missing(self.needs)

    def usable(self, x: DetectorInput) -> np.ndarray:
        """[N] bool: rows this detector can judge from what it sees (the rest are left out of fit and score)."""
        return np.ones(len(x), bool)

    @abstractmethod
    def fit(
        self,
        train: DetectorInput,
        labels: np.ndarray,
        val: DetectorInput | None = None,
        val_labels: np.ndarray | None = None,
    ) -> Detector:
        """Learn from `train` with `labels` ([N] int, 1 = fake), choose hyper-parameters / epoch on `val`."""

    @abstractmethod
    def score(self, x: DetectorInput) -> np.ndarray:
        """P(fake) per sample, [N] float64; NaN where `usable` is False."""

    def _check_fitted(self) -> None:
        if not self.fitted:
            raise FaceswapError(f"detector '{self.name}' is not trained", "call fit(train) before score(samples)")


def both_classes(labels: np.ndarray | None) -> bool:
    return labels is not None and len(labels) > 0 and labels.min() != labels.max()


class FeatureDetector(Detector):
    """Hand-crafted features + standardised logistic regression (C selected on val AUC).

    `per_row` detectors (a row's features depend on that row alone) compute them in row chunks on as many
    threads as torch is given (`bench.threads`): their NumPy / OpenCV / FFT work releases the GIL, and a
    single-threaded loop over crops left one of two cores idle for much of a bench run."""

    per_row: ClassVar[bool] = False
    feature_params: ClassVar[tuple[str, ...]] = ()  # attributes that change `features` (part of the cache key)
    min_chunk: ClassVar[int] = 16  # rows per thread below which threading is not worth it

    def __init__(self, seed: int = 0, c_grid: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)) -> None:
        super().__init__(seed)
        self.c_grid = tuple(float(c) for c in c_grid)
        self.model: Pipeline | None = None
        self.chosen_c: float | None = None

    @abstractmethod
    def features(self, x: DetectorInput) -> np.ndarray:
        """[N,D] float features."""

    def _classifier(self, c: float) -> Pipeline:
        logreg = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=self.seed)
        return make_pipeline(StandardScaler(), logreg)

    def fit(
        self,
        train: DetectorInput,
        labels: np.ndarray,
        val: DetectorInput | None = None,
        val_labels: np.ndarray | None = None,
    ) -> FeatureDetector:
        if not both_classes(labels):
            raise FaceswapError(f"detector '{self.name}' needs real and fake training samples", "generate both")
        x_val = self.features_parallel(val) if val is not None and both_classes(val_labels) else None
        x_train = self.features_parallel(train)
        return self.fit_arrays(x_train, labels, x_val, val_labels if x_val is not None else None)

    def features_parallel(self, x: DetectorInput) -> np.ndarray:
        """`features(x)` for a `per_row` detector: rows whose pixels were featurised before in this process
        (by any instance with the same feature settings: the refits of cross-method and leave-one-family-out
        see subsets of one split) come from a cache keyed by a hash of the crop's bytes, so no row position
        or other bookkeeping travels with the input; the rest are computed in row chunks on several threads."""
        if not self.per_row:
            return self.features(x)
        cache = _ROW_FEATURES.setdefault(
            (type(self).__qualname__, *(getattr(self, name) for name in self.feature_params)), {}
        )
        keys = [hashlib.blake2b(np.ascontiguousarray(crop).data, digest_size=16).digest() for crop in x.crops]
        missing = [i for i, key in enumerate(keys) if key not in cache]
        if missing:
            fresh = self._features_threaded(x.subset(np.asarray(missing)) if len(missing) < len(x) else x)
            if len(cache) + len(missing) > _MAX_CACHED_ROWS:
                cache.clear()
            cache.update(zip((keys[i] for i in missing), fresh, strict=True))
        return np.stack([cache[key] for key in keys])  # identical pixels, identical features

    def _features_threaded(self, x: DetectorInput) -> np.ndarray:
        workers = min(torch.get_num_threads(), len(x) // self.min_chunk)
        if workers < 2:
            return self.features(x)
        bounds = np.linspace(0, len(x), workers + 1).round().astype(int)
        chunks = [x.subset(np.arange(a, b)) for a, b in itertools.pairwise(bounds)]
        with ThreadPoolExecutor(workers, thread_name_prefix="features") as pool:
            return np.concatenate(list(pool.map(self.features, chunks)))

    def fit_arrays(
        self, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray | None, y_val: np.ndarray | None
    ) -> FeatureDetector:
        """Fit on feature rows; pick C by val AUC when val has both classes (else C = 1)."""
        x_train = _finite(x_train)
        use_val = x_val is not None and y_val is not None and len(set(np.asarray(y_val).tolist())) == 2
        grid = self.c_grid if use_val else (1.0,)
        best: tuple[float, float, Pipeline] | None = None
        for c in grid:
            model = self._classifier(c).fit(x_train, y_train)
            auc = roc_auc(y_val, model.predict_proba(_finite(x_val))[:, 1]) if use_val else 0.0
            auc = -1.0 if np.isnan(auc) else auc
            if best is None or auc > best[0]:
                best = (auc, c, model)
        assert best is not None
        _, self.chosen_c, self.model = best
        self.fitted = True
        return self

    def score(self, x: DetectorInput) -> np.ndarray:
        self._check_fitted()
        assert self.model is not None
        return self.model.predict_proba(_finite(self.features_parallel(x)))[:, 1].astype(np.float64)


#: (detector class, feature settings) -> {hash of a crop's bytes: its feature row}; rows of one process
_ROW_FEATURES: dict[tuple[object, ...], dict[bytes, np.ndarray]] = {}
_MAX_CACHED_ROWS = 200_000  # per setting (~0.5 GB of srm rows); past it the cache starts again


def _finite(x: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)


def to_gray(crops: np.ndarray) -> np.ndarray:
    """[N,S,S,3] uint8 -> [N,S,S] float32 luma (BT.601)."""
    x = crops.astype(np.float32)
    return x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114
