"""The benchmark protocol: train on train, select on val, report on test, fixed seed.

Every detector is fitted once on all fake methods (main table, ROC, robustness, cross-dataset) and,
when it learns from fakes, once per method for the cross-method matrix and once per held-out family.
Perturbed test sets are built once per (perturbation, level) and scored by every fitted detector.
`faceswap.bench.repeats.run_repeats` refits on re-drawn splits for mean +- sd.

Detectors get `DetectorInput` (no labels, methods, ids or paths; labels go to `fit` separately);
the runner keeps `Samples` for metrics. Rows a detector declines score NaN and leave its metrics.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from faceswap.bench.detectors.base import Detector
from faceswap.bench.inputs import DetectorInput, detector_input
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

__all__ = ["DetectorFactory", "Protocol", "Splits", "only_method", "per_method", "run_benchmark"]
log = get_logger(__name__)
DetectorFactory = Callable[[], Detector]


def run_benchmark(
    splits: Splits,
    factories: Mapping[str, DetectorFactory],
    protocol: Protocol,
    on_step: Callable[[str], None] | None = None,
    test_sets: Mapping[str, Samples] | None = None,
    on_done: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Fit, score and summarise every detector; returns the `results.json` body (without metadata).

    `test_sets` are other datasets the detectors fitted here are also scored on (cross-dataset table).
    `on_step` gets a message as each phase starts; `on_done` is called after each of `work_units` units.
    """
    step = on_step or (lambda msg: log.info(msg))
    done = on_done or (lambda: None)
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
    rng = np.random.default_rng(protocol.seed)  # opaque video keys and media tokens, drawn once per run
    inputs = Inputs(*(detector_input(s, rng) for s in (splits.train, splits.val, splits.test)))
    others = {name: (s, detector_input(s, rng)) for name, s in (test_sets or {}).items()}
    for name, factory in factories.items():
        step(f"{name}: fit + score")
        entry, detector = _evaluate(name, factory, splits, inputs, protocol, results, others)
        results["detectors"][name] = entry
        if detector is not None:
            fitted[name] = detector
        done()
    robust = {n: d for n, d in fitted.items() if d.robust_to_crops and "crops" in d.needs}
    results["robustness"] = _robustness(robust, splits.test, inputs.test, protocol, step, done)
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


@dataclass(frozen=True)
class Inputs:
    """What the detectors see of each split (row i = row i of the split's `Samples`)."""

    train: DetectorInput
    val: DetectorInput
    test: DetectorInput


def _excluded(detector: Detector, splits: Splits, inputs: Inputs) -> dict[str, dict[str, int]]:
    """Per split and class, the rows the detector declines (`usable` False): reported, never a feature."""
    out = {}
    for split in ("train", "val", "test"):
        off, labels = ~detector.usable(getattr(inputs, split)), getattr(splits, split).labels
        out[split] = {"real": int((off & (labels == 0)).sum()), "fake": int((off & (labels == 1)).sum())}
    return out


def _evaluate(
    name: str,
    factory: DetectorFactory,
    splits: Splits,
    inputs: Inputs,
    protocol: Protocol,
    results: dict[str, Any],
    test_sets: Mapping[str, tuple[Samples, DetectorInput]],
) -> tuple[dict[str, Any], Detector | None]:
    detector = factory()
    entry: dict[str, Any] = {
        "needs": sorted(detector.needs),
        "uses_fakes": detector.uses_fakes,
        "in_average": detector.in_average and detector.oracle is None,
        "status": "ok",
    }
    if detector.oracle:
        entry["oracle"] = detector.oracle
    reason = detector.skip_reason(inputs.train) or detector.skip_reason(inputs.test)
    if reason:
        entry.update(status="skipped", reason=reason)
        return entry, None
    excluded = _excluded(detector, splits, inputs)
    if any(n for counts in excluded.values() for n in counts.values()):
        entry["excluded"] = excluded
    t0 = time.perf_counter()
    try:
        detector.fit(inputs.train, splits.train.labels, inputs.val, splits.val.labels)
    except FaceswapError as exc:
        entry.update(status="skipped", reason=exc.problem)
        return entry, None
    t1 = time.perf_counter()
    scores = detector.score(inputs.test)
    t2 = time.perf_counter()
    entry.update(fit_seconds=round(t1 - t0, 3), ms_per_frame=round(1000 * (t2 - t1) / max(1, len(splits.test)), 3))
    results["main"][name], results["roc"][name] = per_method(splits, scores, protocol)
    methods = splits.methods
    if protocol.cross_method and len(methods) > 1:
        results["cross_method"][name] = _cross_method(factory, detector, scores, splits, inputs, methods)
    if test_sets:
        results["cross_dataset"][name] = cross_dataset(detector, results["main"][name]["all"], test_sets, protocol)
    if protocol.leave_one_family_out and len(splits.family_names) > 1:
        results["leave_one_family_out"][name] = leave_one_family_out(
            factory, detector, scores, splits, inputs, protocol
        )
    return entry, detector


def per_method(
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
    factory: DetectorFactory,
    main: Detector,
    main_scores: np.ndarray,
    splits: Splits,
    inputs: Inputs,
    methods: list[str],
) -> dict[str, dict[str, float]]:
    """AUC of a detector trained on method X (rows) tested on each method Y (columns)."""
    matrix: dict[str, dict[str, float]] = {}
    for train_method in methods:
        if main.uses_fakes:
            tr, va = _method_mask(splits.train, train_method), _method_mask(splits.val, train_method)
            det = factory().fit(
                inputs.train.subset(tr), splits.train.labels[tr], inputs.val.subset(va), splits.val.labels[va]
            )
            scores = det.score(inputs.test)
        else:
            scores = main_scores  # trained without fakes: the same model for every row
        matrix[train_method] = {}
        for test_method in methods:
            sel = _method_mask(splits.test, test_method)
            matrix[train_method][test_method] = _auc(splits.test.labels[sel], scores[sel])
    return matrix


def work_units(detectors: int, protocol: Protocol) -> int:
    """Units `run_benchmark` reports through `on_done`: one per detector, one per robustness level."""
    return detectors + sum(len(levels) for levels in protocol.robustness.values())


def _robustness(
    detectors: Mapping[str, Detector],
    test: Samples,
    test_input: DetectorInput,
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
            perturbed = test_input.with_crops(perturb(pert, test.crops, level, test.video_ids, protocol.seed))
            for name, det in detectors.items():
                auc = _auc(test.labels, det.score(perturbed))
                out[name].setdefault(pert, []).append({"level": float(level), "auc": auc})
            done()
    return out


def _average(results: dict[str, Any], fitted: Mapping[str, Detector]) -> dict[str, float]:
    """Mean test AUC per method over detectors that count toward averages (not provenance)."""
    avg: dict[str, float] = {}
    names = [n for n, d in fitted.items() if d.in_average and d.oracle is None]
    for method in [*results["methods"], "all"]:
        values = [results["main"][n][method]["auc"] for n in names if not math.isnan(results["main"][n][method]["auc"])]
        avg[method] = float(np.mean(values)) if values else math.nan
    return avg
