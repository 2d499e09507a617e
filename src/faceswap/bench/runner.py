"""The benchmark protocol: train on train, select on val, report on test, fixed seed.

Every detector is fitted once on all fake methods (main table, ROC, robustness, cross-dataset) and,
when it learns from fakes, once per method for the cross-method matrix and once per held-out family.
Perturbed test sets are built once per (perturbation, level) and scored by every fitted detector.
`run_repeats` refits on re-drawn splits for mean +- sd.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from faceswap.bench.detectors.base import Detector
from faceswap.bench.metrics import roc_auc, roc_points
from faceswap.bench.perturbations import perturb
from faceswap.bench.protocol import (
    BOOTSTRAP_UNIT,
    VIDEO_LEVEL,
    Protocol,
    Splits,
    count_test_videos,
    few_videos_warning,
    only_method,
    summarize_scores,
)
from faceswap.bench.samples import Samples
from faceswap.bench.transfer import cross_dataset, leave_one_family_out
from faceswap.utils.errors import FaceswapError
from faceswap.utils.logging import get_logger

__all__ = ["Protocol", "Splits", "only_method", "run_benchmark", "run_repeats"]
log = get_logger(__name__)
DetectorFactory = Callable[[], Detector]
REPEAT_METRICS = ("auc", "video_auc", "ap", "eer", "tpr_at_1fpr")


def run_benchmark(
    splits: Splits,
    factories: Mapping[str, DetectorFactory],
    protocol: Protocol,
    on_step: Callable[[str], None] | None = None,
    test_sets: Mapping[str, Samples] | None = None,
) -> dict[str, Any]:
    """Fit, score and summarise every detector; returns the `results.json` body (without metadata).

    `test_sets` are other datasets the detectors fitted here are also scored on (cross-dataset table).
    """
    step = on_step or (lambda msg: log.info(msg))
    methods = splits.methods
    if not methods:
        raise FaceswapError("the dataset has no fake samples", "run `faceswap generate` with at least one method")
    results: dict[str, Any] = {
        "detector_order": list(factories),
        "methods": methods,
        "families": splits.family_names,
        "detectors": {},
        "main": {},
        "roc": {},
        "cross_method": {},
        "cross_dataset": {},
        "leave_one_family_out": {},
        "robustness": {},
        "protocol": _statistics_record(splits, protocol, test_sets or {}),
    }
    fitted: dict[str, Detector] = {}
    for name, factory in factories.items():
        step(f"{name}: fit + score")
        entry, detector = _evaluate(name, factory, splits, protocol, results, test_sets or {})
        results["detectors"][name] = entry
        if detector is not None:
            fitted[name] = detector
    robust = {n: d for n, d in fitted.items() if d.robust_to_crops and "crops" in d.needs}
    results["robustness"] = _robustness(robust, splits.test, protocol, step)
    results["average"] = _average(results, fitted)
    return results


def _statistics_record(splits: Splits, protocol: Protocol, test_sets: Mapping[str, Samples]) -> dict[str, Any]:
    """How the figures are computed and how many independent videos each rests on (results.json protocol)."""
    videos = count_test_videos(splits.test)
    cross = {name: count_test_videos(s) for name, s in test_sets.items()}
    warnings = [few_videos_warning("test split", videos, protocol.min_videos)]
    warnings += [few_videos_warning(f"cross-dataset '{n}'", c, protocol.min_videos) for n, c in cross.items()]
    return {
        "bootstrap_resamples": protocol.n_boot,
        "bootstrap_unit": BOOTSTRAP_UNIT,
        "video_level": VIDEO_LEVEL,
        "test_videos": videos,
        "cross_dataset_test_videos": cross,
        "min_test_videos": protocol.min_videos,
        "leave_one_family_out": protocol.leave_one_family_out and len(splits.family_names) > 1,
        "warnings": [w for w in warnings if w],
    }


def _evaluate(
    name: str,
    factory: DetectorFactory,
    splits: Splits,
    protocol: Protocol,
    results: dict[str, Any],
    test_sets: Mapping[str, Samples],
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
    results["main"][name], results["roc"][name] = _per_method(splits, scores, protocol)
    methods = splits.methods
    if protocol.cross_method and len(methods) > 1:
        results["cross_method"][name] = _cross_method(factory, detector, scores, splits, methods)
    if test_sets:
        results["cross_dataset"][name] = cross_dataset(detector, results["main"][name]["all"], test_sets, protocol)
    if protocol.leave_one_family_out and len(splits.family_names) > 1:
        results["leave_one_family_out"][name] = leave_one_family_out(factory, detector, scores, splits, protocol)
    return entry, detector


def _per_method(
    splits: Splits, scores: np.ndarray, protocol: Protocol, with_roc: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Summary (and thinned ROC curve) on test reals + each method's fakes, and on "all"."""
    main: dict[str, Any] = {}
    roc: dict[str, Any] = {}
    for method in [*splits.methods, "all"]:
        sel = _method_mask(splits.test, None if method == "all" else method)
        sub = splits.test.subset(sel)
        main[method] = summarize_scores(sub, scores[sel], protocol)
        if with_roc:
            ok = np.isfinite(scores[sel])
            fpr, tpr, _ = roc_points(sub.labels[ok], scores[sel][ok])
            keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), protocol.roc_points)).round().astype(int))
            roc[method] = {"fpr": fpr[keep].round(5).tolist(), "tpr": tpr[keep].round(5).tolist()}
    return main, roc


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Frame AUC over the rows a detector scored (NaN = abstained)."""
    ok = np.isfinite(scores)
    return roc_auc(labels[ok], scores[ok])


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
            matrix[train_method][test_method] = _auc(splits.test.labels[sel], scores[sel])
    return matrix


def _robustness(
    detectors: Mapping[str, Detector], test: Samples, protocol: Protocol, step: Callable[[str], None]
) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Per detector and perturbation, `[{"level", "auc"}, ...]` in level order, on the perturbed test crops."""
    out: dict[str, dict[str, list[dict[str, float]]]] = {name: {} for name in detectors}
    if not detectors:
        return out
    for pert, levels in protocol.robustness.items():
        step(f"robustness: {pert}")
        for level in levels:
            perturbed = test.with_crops(perturb(pert, test.crops, level, test.video_ids, protocol.seed))
            for name, det in detectors.items():
                auc = _auc(test.labels, det.score(perturbed))
                out[name].setdefault(pert, []).append({"level": float(level), "auc": auc})
    return out


def _average(results: dict[str, Any], fitted: Mapping[str, Detector]) -> dict[str, float]:
    """Mean test AUC per method over detectors that count toward averages (not provenance)."""
    avg: dict[str, float] = {}
    names = [n for n, d in fitted.items() if d.in_average]
    for method in [*results["methods"], "all"]:
        values = [results["main"][n][method]["auc"] for n in names if not math.isnan(results["main"][n][method]["auc"])]
        avg[method] = float(np.mean(values)) if values else math.nan
    return avg


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
        for name in runs:
            step(f"repeat {r + 1}/{len(draws) + 1}: {name}")
            det = factories[name]()
            if det.skip_reason(splits.train) or det.skip_reason(splits.test):
                continue
            try:
                scores = det.fit(splits.train, splits.val).score(splits.test)
            except FaceswapError:
                continue
            runs[name].append(_per_method(splits, scores, protocol, with_roc=False)[0])
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
