"""`VideoFeatureDetector`: features per video (a temporal cue), one classifier on videos, score broadcast to frames.

Frames are grouped by (method, video) - the same key as the video-level AUC - and ordered by frame
index. Subclasses write `video_features(one_video) -> [D]`.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from faceswap.bench.detectors.base import FeatureDetector, both_classes
from faceswap.bench.samples import Samples
from faceswap.utils.errors import FaceswapError


def video_groups(samples: Samples) -> dict[str, np.ndarray]:
    """video key -> row indices in frame order."""
    keys = samples.video_keys
    groups: dict[str, np.ndarray] = {}
    for key in dict.fromkeys(keys.tolist()):
        idx = np.flatnonzero(keys == key)
        groups[key] = idx[np.argsort(samples.frame_index[idx], kind="stable")]
    return groups


class VideoFeatureDetector(FeatureDetector):
    """A `FeatureDetector` whose rows are videos with at least `min_frames` frames."""

    min_frames: int = 4

    @abstractmethod
    def video_features(self, video: Samples) -> np.ndarray:
        """[D] features of one video's frames (in frame order)."""

    def _per_video(self, samples: Samples) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """(row groups, features [V,D], labels [V]) of the videos long enough to use."""
        groups = [idx for idx in video_groups(samples).values() if len(idx) >= self.min_frames]
        if not groups:
            return [], np.zeros((0, 1)), np.zeros(0, np.int64)
        feats = np.stack([self.video_features(samples.subset(idx)) for idx in groups])
        return groups, feats, np.array([samples.labels[idx[0]] for idx in groups])

    def skip_reason(self, samples: Samples) -> str | None:
        reason = super().skip_reason(samples)
        if reason is None and not any(len(i) >= self.min_frames for i in video_groups(samples).values()):
            reason = f"no video has {self.min_frames} or more frames"
        return reason

    def features(self, samples: Samples) -> np.ndarray:
        return self._per_video(samples)[1]

    def fit(self, train: Samples, val: Samples | None = None) -> VideoFeatureDetector:
        _, x_train, y_train = self._per_video(train)
        if len(set(y_train.tolist())) < 2:
            raise FaceswapError(f"detector '{self.name}' needs real and fake training videos", "generate longer videos")
        x_val, y_val = self._per_video(val)[1:] if both_classes(val) else (None, None)  # type: ignore[misc]
        self.fit_arrays(x_train, y_train, x_val, y_val)
        return self

    def score(self, samples: Samples) -> np.ndarray:
        """Each frame gets its video's P(fake); frames of too-short videos get 0.5 (no evidence)."""
        self._check_fitted()
        assert self.model is not None
        out = np.full(len(samples), 0.5)
        groups, feats, _ = self._per_video(samples)
        if groups:
            for idx, p in zip(groups, self.model.predict_proba(np.nan_to_num(feats))[:, 1], strict=True):
                out[idx] = p
        return out
