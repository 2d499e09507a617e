"""Repeats: refit every detector on re-drawn splits (whole split units, same fractions) for mean +- sd.

Repeat 1 is the stored split that `run_benchmark` already scored; each other draw is refitted here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from faceswap.bench.inputs import detector_input
from faceswap.bench.protocol import Protocol, Splits
from faceswap.bench.runner import DetectorFactory, per_method
from faceswap.utils.errors import FaceswapError
from faceswap.utils.logging import get_logger

log = get_logger(__name__)
REPEAT_METRICS = ("auc", "video_auc", "ap", "eer", "tpr_at_1fpr")


def run_repeats(
    draws: Sequence[Splits],
    factories: Mapping[str, DetectorFactory],
    protocol: Protocol,
    first: Mapping[str, Any],
    on_step: Callable[[str], None] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Refit every detector on each re-drawn split; mean +- sd per detector, method and metric.

    `first` is `run_benchmark`'s result (repeat 0, the stored split); `draws` are the other splits.
    """
    step = on_step or (lambda msg: log.info(msg))
    runs: dict[str, list[dict[str, Any]]] = {n: [m] for n, m in first["main"].items()}
    for r, splits in enumerate(draws, start=1):
        rng = np.random.default_rng(protocol.seed + r)
        train, val, test = (detector_input(s, rng) for s in (splits.train, splits.val, splits.test))
        for name in runs:
            step(f"repeat {r + 1}/{len(draws) + 1}: {name}")
            det = factories[name]()
            if det.skip_reason(train) or det.skip_reason(test):
                continue
            try:
                scores = det.fit(train, splits.train.labels, val, splits.val.labels).score(test)
            except FaceswapError:
                continue
            runs[name].append(per_method(splits, scores, protocol, with_roc=False)[0])
    return {name: _mean_sd(per_run) for name, per_run in runs.items()}


def _mean_sd(per_run: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{method: {metric: {"mean", "sd", "values"}}} over the runs in which the metric is defined."""
    out: dict[str, dict[str, Any]] = {}
    for method in per_run[0]:
        out[method] = {}
        for metric in REPEAT_METRICS:
            values = [float(run[method][metric]) if method in run else math.nan for run in per_run]
            finite = [v for v in values if math.isfinite(v)]
            out[method][metric] = {
                "mean": float(np.mean(finite)) if finite else math.nan,
                "sd": float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan,
                "values": values,
            }
    return out
