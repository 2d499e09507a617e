"""The benchmark protocol: train on train, select on val, report on test, fixed seed.

Every detector is fitted once on all fake methods (main table, ROC, robustness) and, when it
learns from fakes, once per method for the cross-method matrix. Perturbed test sets are built
once per (perturbation, level) and scored by every fitted detector.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from faceswap.bench.detectors.base import Detector
from faceswap.bench.metrics import roc_auc, roc_points, summarize
from faceswap.bench.perturbations import perturb
from faceswap.bench.samples import Samples
from faceswap.utils.errors import FaceswapError
from faceswap.utils.logging import get_logger

log = get_logger(__name__)
DetectorFactory = Callable[[], Detector]


@dataclass
class Protocol:
    """Benchmark settings recorded verbatim in results.json."""

    seed: int = 0
    n_boot: int = 1000
    cross_method: bool = True
    robustness: Mapping[str, Sequence[float]] = field(default_factory=dict)
    roc_points: int = 200


@dataclass
class Splits:
    train: Samples
    val: Samples
    test: Samples

    @property
    def methods(self) -> list[str]:
        all_methods = np.concatenate([self.train.methods, self.val.methods, self.test.methods])
        labels = np.concatenate([self.train.labels, self.val.labels, self.test.labels])
        return sorted(set(all_methods[labels == 1].tolist()))


def only_method(samples: Samples, method: str | None) -> Samples:
    """Reals plus the fakes of one method (all fakes when `method` is None)."""
    return samples if method is None else samples.subset((samples.labels == 0) | (samples.methods == method))


def run_benchmark(
    splits: Splits,
    factories: Mapping[str, DetectorFactory],
    protocol: Protocol,
    on_step: Callable[[str], None] | None = None,
    on_done: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Fit, score and summarise every detector; returns the `results.json` body (without metadata).
    `on_step` gets a message as each phase starts; `on_done` is called after each of `work_units` units."""
    step = on_step or (lambda msg: log.info(msg))
    done = on_done or (lambda: None)
    methods = splits.methods
    if not methods:
        raise FaceswapError("the dataset has no fake samples", "run `faceswap generate` with at least one method")
    results: dict[str, Any] = {
        "detector_order": list(factories),
        "methods": methods,
        "detectors": {},
        "main": {},
        "roc": {},
        "cross_method": {},
        "robustness": {},
    }
    fitted: dict[str, Detector] = {}
    for name, factory in factories.items():
        step(f"{name}: fit + score")
        entry, detector = _evaluate(name, factory, splits, methods, protocol, results)
        results["detectors"][name] = entry
        done()
        if detector is not None:
            fitted[name] = detector
    robust = {n: d for n, d in fitted.items() if d.robust_to_crops and "crops" in d.needs}
    results["robustness"] = _robustness(robust, splits.test, protocol, step, done)
    results["average"] = _average(results, fitted)
    return results


def _evaluate(
    name: str,
    factory: DetectorFactory,
    splits: Splits,
    methods: list[str],
    protocol: Protocol,
    results: dict[str, Any],
) -> tuple[dict[str, Any], Detector | None]:
    detector = factory()
    entry: dict[str, Any] = {
        "needs": sorted(detector.needs),
        "uses_fakes": detector.uses_fakes,
        "in_average": detector.in_average,
        "status": "ok",
    }
    reason = detector.skip_reason(splits.train) or detector.skip_reason(splits.test)
    if reason:
        entry.update(status="skipped", reason=reason)
        return entry, None
    t0 = time.perf_counter()
    try:
        detector.fit(splits.train, splits.val)
    except FaceswapError as exc:
        entry.update(status="skipped", reason=exc.problem)
        return entry, None
    t1 = time.perf_counter()
    scores = detector.score(splits.test)
    t2 = time.perf_counter()
    entry.update(fit_seconds=round(t1 - t0, 3), ms_per_frame=round(1000 * (t2 - t1) / max(1, len(splits.test)), 3))
    results["main"][name] = {}
    results["roc"][name] = {}
    for method in [*methods, "all"]:
        sel = _method_mask(splits.test, None if method == "all" else method)
        sub = splits.test.subset(sel)
        results["main"][name][method] = summarize(
            sub.labels, scores[sel], sub.video_keys, protocol.n_boot, protocol.seed
        )
        fpr, tpr, _ = roc_points(sub.labels, scores[sel])
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), protocol.roc_points)).round().astype(int))
        results["roc"][name][method] = {"fpr": fpr[keep].round(5).tolist(), "tpr": tpr[keep].round(5).tolist()}
    if protocol.cross_method and len(methods) > 1:
        results["cross_method"][name] = _cross_method(factory, detector, scores, splits, methods)
    return entry, detector


def _method_mask(samples: Samples, method: str | None) -> np.ndarray:
    return np.ones(len(samples), bool) if method is None else (samples.labels == 0) | (samples.methods == method)


def _cross_method(
    factory: DetectorFactory, main: Detector, main_scores: np.ndarray, splits: Splits, methods: list[str]
) -> dict[str, dict[str, float]]:
    """AUC of a detector trained on method X (rows) tested on each method Y (columns)."""
    matrix: dict[str, dict[str, float]] = {}
    for train_method in methods:
        if main.uses_fakes:
            det = factory().fit(only_method(splits.train, train_method), only_method(splits.val, train_method))
            scores = det.score(splits.test)
        else:
            scores = main_scores  # trained without fakes: the same model for every row
        matrix[train_method] = {}
        for test_method in methods:
            sel = _method_mask(splits.test, test_method)
            matrix[train_method][test_method] = roc_auc(splits.test.labels[sel], scores[sel])
    return matrix


def work_units(detectors: int, protocol: Protocol) -> int:
    """Units `run_benchmark` reports through `on_done`: one per detector, one per robustness level."""
    return detectors + sum(len(levels) for levels in protocol.robustness.values())


def _robustness(
    detectors: Mapping[str, Detector],
    test: Samples,
    protocol: Protocol,
    step: Callable[[str], None],
    done: Callable[[], None],
) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Per detector and perturbation, `[{"level", "auc"}, ...]` in level order, on the perturbed test crops."""
    out: dict[str, dict[str, list[dict[str, float]]]] = {name: {} for name in detectors}
    if not detectors:
        for _ in range(work_units(0, protocol)):
            done()
        return out
    for pert, levels in protocol.robustness.items():
        step(f"robustness: {pert}")
        for level in levels:
            perturbed = test.with_crops(perturb(pert, test.crops, level, test.video_ids, protocol.seed))
            for name, det in detectors.items():
                auc = roc_auc(test.labels, det.score(perturbed))
                out[name].setdefault(pert, []).append({"level": float(level), "auc": auc})
            done()
    return out


def _average(results: dict[str, Any], fitted: Mapping[str, Detector]) -> dict[str, float]:
    """Mean test AUC per method over detectors that count toward averages (not provenance)."""
    avg: dict[str, float] = {}
    names = [n for n, d in fitted.items() if d.in_average]
    for method in [*results["methods"], "all"]:
        values = [results["main"][n][method]["auc"] for n in names if not math.isnan(results["main"][n][method]["auc"])]
        avg[method] = float(np.mean(values)) if values else math.nan
    return avg
