"""Generalisation protocols: train on one data source, test on another.

- cross-dataset (DeepfakeBench's headline table): the detector fitted on the benchmark dataset scores
  other datasets as they are; in-domain and each cross-dataset AUC side by side.
- leave-one-family-out: a detector learning from fakes is refitted on reals + every fake family but F
  and tested on test reals + F, for each family F.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from faceswap.bench.detectors.base import Detector
from faceswap.bench.inputs import DetectorInput
from faceswap.bench.protocol import Protocol, Splits, summarize_scores
from faceswap.bench.samples import Samples
from faceswap.utils.errors import FaceswapError

KEYS = ("auc", "auc_ci95", "video_auc", "video_auc_ci95", "n_videos_real", "n_videos_fake", "n_excluded")


def brief(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The columns a transfer table shows (frame and video AUC, intervals, videos per class)."""
    return {k: summary[k] for k in KEYS}


def cross_dataset(
    detector: Detector,
    in_domain: Mapping[str, Any],
    test_sets: Mapping[str, tuple[Samples, DetectorInput]],
    protocol: Protocol,
) -> dict[str, dict[str, Any]]:
    """{"in_domain": ..., <dataset>: ...} for one fitted detector; a set it cannot read gets `reason`.
    Each test set comes with what detectors see of it (`detector_input`, built once per run)."""
    out: dict[str, dict[str, Any]] = {"in_domain": brief(in_domain)}
    for name, (samples, seen) in test_sets.items():
        reason = detector.skip_reason(seen)
        if reason:
            out[name] = {"reason": reason}
            continue
        out[name] = brief(summarize_scores(samples, detector.score(seen), protocol))
    return out


def leave_one_family_out(
    factory: Callable[[], Detector],
    main: Detector,
    main_scores: np.ndarray,
    splits: Splits,
    inputs: Any,
    protocol: Protocol,
) -> dict[str, dict[str, Any]]:
    """{held-out family: metrics on test reals + that family} for one detector; `inputs` holds the
    `DetectorInput` of each split (row i = row i of the split's `Samples`)."""
    fam = {name: splits.family_of(s) for name, s in (("train", splits.train), ("val", splits.val))}
    test_fam = splits.family_of(splits.test)
    out: dict[str, dict[str, Any]] = {}
    for family in splits.family_names:
        test_sel = (splits.test.labels == 0) | (test_fam == family)
        test = splits.test.subset(test_sel)
        if main.uses_fakes:
            tr, va = fam["train"] != family, fam["val"] != family
            try:
                detector = factory().fit(
                    inputs.train.subset(tr), splits.train.labels[tr], inputs.val.subset(va), splits.val.labels[va]
                )
                scores = detector.score(inputs.test.subset(test_sel))
            except FaceswapError as exc:
                out[family] = {"reason": exc.problem}
                continue
        else:
            scores = main_scores[test_sel]  # never saw a fake: the held-out family changes nothing in training
        out[family] = {
            **brief(summarize_scores(test, scores, protocol)),
            "trained_on": [f for f in splits.family_names if f != family] if main.uses_fakes else [],
        }
    return out
