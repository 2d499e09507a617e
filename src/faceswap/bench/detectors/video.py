"""`VideoFeatureDetector`: features per video (a temporal cue), one classifier on videos, score broadcast to frames.

Frames are grouped by the input's opaque `video_keys` and ordered by frame index. Subclasses write
`video_features(one_video) -> [D]`; rows outside `usable` take no part in fit and score NaN.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from faceswap.bench.detectors.base import FeatureDetector, both_classes
from faceswap.bench.inputs import DetectorInput
from faceswap.utils.errors import FaceswapError


def video_groups(x: DetectorInput, rows: np.ndarray | None = None) -> list[np.ndarray]:
    """Row indices of each video (among `rows` [N] bool when given), in frame order."""
    keys = x.video_keys
    keep = np.ones(len(x), bool) if rows is None else rows
    groups = []
    for key in dict.fromkeys(keys[keep].tolist()):
        idx = np.flatnonzero((keys == key) & keep)
        groups.append(idx[np.argsort(x.frame_index[idx], kind="stable")])
    return groups


class VideoFeatureDetector(FeatureDetector):
    """A `FeatureDetector` whose rows are videos with at least `min_frames` usable frames."""

    min_frames: int = 4

    @abstractmethod
    def video_features(self, video: DetectorInput) -> np.ndarray:
        """[D] features of one video's frames (in frame order)."""

    def _groups(self, x: DetectorInput) -> list[np.ndarray]:
        return [idx for idx in video_groups(x, self.usable(x)) if len(idx) >= self.min_frames]

    def _per_video(self, x: DetectorInput) -> tuple[list[np.ndarray], np.ndarray]:
        """(row groups, features [V,D]) of the videos long enough to use."""
        groups = self._groups(x)
        if not groups:
            return [], np.zeros((0, 1))
        return groups, np.stack([self.video_features(x.subset(idx)) for idx in groups])

    def skip_reason(self, x: DetectorInput) -> str | None:
        reason = super().skip_reason(x)
        if reason is None and not self._groups(x):
            reason = f"no video has {self.min_frames} or more usable frames"
        return reason

    def features(self, x: DetectorInput) -> np.ndarray:
        return self._per_video(x)[1]

    def _video_labels(self, x: DetectorInput | None, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if x is None or labels is None:
            return np.zeros((0, 1)), np.zeros(0, np.int64)
        groups, feats = self._per_video(x)
        return feats, np.array([labels[idx[0]] for idx in groups], np.int64)

    def fit(
        self,
        train: DetectorInput,
        labels: np.ndarray,
        val: DetectorInput | None = None,
        val_labels: np.ndarray | None = None,
    ) -> VideoFeatureDetector:
        x_train, y_train = self._video_labels(train, labels)
        if not both_classes(y_train):
            raise FaceswapError(
                f"detector '{self.name}' needs real and fake training videos it can use",
                "generate longer videos (with an audio track for avsync) in both classes",
            )
        x_val, y_val = self._video_labels(val, val_labels)
        self.fit_arrays(
            x_train, y_train, x_val if both_classes(y_val) else None, y_val if both_classes(y_val) else None
        )
        return self

    def score(self, x: DetectorInput) -> np.ndarray:
        """Each frame gets its video's P(fake); frames of too-short videos get 0.5 (no evidence), unusable NaN."""
        self._check_fitted()
        assert self.model is not None
        out = np.where(self.usable(x), 0.5, np.nan)
        groups, feats = self._per_video(x)
        if groups:
            for idx, p in zip(groups, self.model.predict_proba(np.nan_to_num(feats))[:, 1], strict=True):
                out[idx] = p
        return out
