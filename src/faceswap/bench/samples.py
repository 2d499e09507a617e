"""`Samples`: the runner's labelled batch (crops, labels, methods, ids, landmarks, media paths).

Detectors never see it: the runner hands them `bench.inputs.DetectorInput` (no labels, names, ids or
paths) and keeps `Samples` for metrics. Subsets share everything but the selected rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Samples:
    """N labelled crops; row i of every array belongs to the same sample."""

    crops: np.ndarray  # [N,S,S,3] uint8 RGB
    labels: np.ndarray  # [N] int64, 1 = fake
    methods: np.ndarray  # [N] str ("real" for real samples)
    video_ids: np.ndarray  # [N] str, the target video the crop comes from
    frame_index: np.ndarray  # [N] int64
    ids: np.ndarray  # [N] str, unique sample id
    landmarks: np.ndarray | None = None  # [N,68,2] float32 crop px, NaN rows where unknown
    timestamps: np.ndarray | None = None  # [N] float seconds in the source video
    media: np.ndarray | None = None  # [N] object: path of the media file the sample stands for, or None
    has_audio: np.ndarray | None = None  # [N] bool: `media` carries an audio track
    files: np.ndarray | None = None  # [N] object: the published file holding the sample (provenance), or None
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def size(self) -> int:
        """Crop side in pixels."""
        return int(self.crops.shape[1]) if len(self) else 0

    @property
    def video_keys(self) -> np.ndarray:
        """Video identity for video-level AUC: the real video and each method's fake of it differ."""
        return np.array([f"{m}/{v}" for m, v in zip(self.methods, self.video_ids, strict=True)], dtype=object)

    def subset(self, index: Any) -> Samples:
        """Rows selected by a boolean mask or an index array."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)

        def pick(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else arr[idx]

        return replace(
            self,
            crops=self.crops[idx],
            labels=self.labels[idx],
            methods=self.methods[idx],
            video_ids=self.video_ids[idx],
            frame_index=self.frame_index[idx],
            ids=self.ids[idx],
            landmarks=pick(self.landmarks),
            timestamps=pick(self.timestamps),
            media=pick(self.media),
            has_audio=pick(self.has_audio),
            files=pick(self.files),
        )

    def with_crops(self, crops: np.ndarray) -> Samples:
        """Same samples with new pixels (a perturbation)."""
        if crops.shape[0] != len(self):
            raise ValueError(f"{crops.shape[0]} crops for {len(self)} samples")
        return replace(self, crops=crops)


def concat(parts: list[Samples]) -> Samples:
    """Stack several sample sets (same crop size) into one."""
    if not parts:
        raise ValueError("nothing to concatenate")

    def cat(name: str) -> np.ndarray | None:
        arrays = [getattr(p, name) for p in parts]
        return None if any(a is None for a in arrays) else np.concatenate(arrays)

    return Samples(
        crops=np.concatenate([p.crops for p in parts]),
        labels=np.concatenate([p.labels for p in parts]),
        methods=np.concatenate([p.methods for p in parts]),
        video_ids=np.concatenate([p.video_ids for p in parts]),
        frame_index=np.concatenate([p.frame_index for p in parts]),
        ids=np.concatenate([p.ids for p in parts]),
        landmarks=cat("landmarks"),
        timestamps=cat("timestamps"),
        media=cat("media"),
        has_audio=cat("has_audio"),
        files=cat("files"),
    )
