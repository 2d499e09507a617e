"""What the benchmark protocol is made of: its settings, the splits, and how test rows group for statistics.

Frames of one video are not independent. Every summary therefore knows each test row's video
(label, method, source video: the unit of video-level AUC) and its cluster (the source video with
its real frames and every fake made from it: the unit the bootstrap resamples). Both are computed
here from the protocol's own labels and handed to the metrics as opaque integer codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from faceswap.bench.metrics import summarize
from faceswap.bench.samples import Samples

BOOTSTRAP_UNIT = "source video (its real frames and every fake made from it), strata real-only / fake-only / both"
VIDEO_LEVEL = "mean frame probability per (label, method, source video)"


@dataclass
class Protocol:
    """Benchmark settings recorded verbatim in results.json."""

    seed: int = 0
    n_boot: int = 1000
    cross_method: bool = True
    robustness: Mapping[str, Sequence[float]] = field(default_factory=dict)
    roc_points: int = 200
    leave_one_family_out: bool = True
    min_videos: int = 10  # fewer test videos per class than this: the report warns


@dataclass
class Splits:
    train: Samples
    val: Samples
    test: Samples
    families: Mapping[str, str] = field(default_factory=dict)  # fake method -> family (missing: the method)

    @property
    def methods(self) -> list[str]:
        all_methods = np.concatenate([self.train.methods, self.val.methods, self.test.methods])
        labels = np.concatenate([self.train.labels, self.val.labels, self.test.labels])
        return sorted(set(all_methods[labels == 1].tolist()))

    @property
    def family_names(self) -> list[str]:
        return sorted({self.families.get(m, m) for m in self.methods})

    def family_of(self, samples: Samples) -> np.ndarray:
        """Family of each row [N] ("real" for reals)."""
        pairs = zip(samples.methods, samples.labels, strict=True)
        return np.asarray([self.families.get(m, m) if y == 1 else "real" for m, y in pairs], dtype=object)


def only_method(samples: Samples, method: str | None) -> Samples:
    """Reals plus the fakes of one method (all fakes when `method` is None)."""
    return samples if method is None else samples.subset((samples.labels == 0) | (samples.methods == method))


def video_groups(samples: Samples) -> tuple[np.ndarray, np.ndarray]:
    """(video code [N], cluster code [N]): the video a row belongs to and the independent unit around it."""
    keys = [f"{y}\x00{m}\x00{v}" for y, m, v in zip(samples.labels, samples.methods, samples.video_ids, strict=True)]
    video = np.unique(np.asarray(keys, dtype=object), return_inverse=True)[1] if keys else np.zeros(0, np.int64)
    cluster = np.unique(samples.video_ids, return_inverse=True)[1] if keys else np.zeros(0, np.int64)
    return video.astype(np.int64), cluster.astype(np.int64)


def summarize_scores(samples: Samples, scores: np.ndarray, protocol: Protocol) -> dict[str, Any]:
    """All metrics of one (detector, test set), bootstrapped over source videos."""
    video, cluster = video_groups(samples)
    return summarize(samples.labels, scores, video, protocol.n_boot, protocol.seed, clusters=cluster)


def count_test_videos(samples: Samples) -> dict[str, int]:
    """Independent test videos (clusters) per class."""
    _, cluster = video_groups(samples)
    return {
        "real": len(set(cluster[samples.labels == 0].tolist())),
        "fake": len(set(cluster[samples.labels == 1].tolist())),
    }


def few_videos_warning(where: str, counts: Mapping[str, int], minimum: int) -> str | None:
    """A warning line when a class has fewer independent videos than `minimum`, else None."""
    if min(counts.values(), default=0) >= minimum:
        return None
    return (
        f"{where}: only {counts.get('real', 0)} real / {counts.get('fake', 0)} fake test videos (< {minimum});"
        " intervals are wide and a figure can hinge on one video"
    )
