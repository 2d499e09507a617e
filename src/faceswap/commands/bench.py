"""`faceswap bench`: benchmark the configured detectors on a labelled dataset (generate's index.json)."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from faceswap.bench.datasets import Dataset, cross_test_set, method_families, read_dataset, redraw_splits
from faceswap.bench.detectors import DETECTORS, Detector, create_detector
from faceswap.bench.repeats import run_repeats
from faceswap.bench.report import write_report
from faceswap.bench.runner import Protocol, Splits, run_benchmark, work_units
from faceswap.bench.samples import Samples
from faceswap.commands.keys import translated
from faceswap.synth.index import index_path
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.logging import console, print_summary, progress_bar
from faceswap.utils.threads import use_threads

CROSS_RULE = (
    "detectors fitted on this dataset's train split score every split of each test dataset,"
    " less the videos whose id is also in this dataset's train/val (not held out)"
)
LOFO_RULE = "per family F: fit on train reals + fakes of every other family, test on test reals + family F fakes"


def detector_factories(cfg: DictConfig) -> dict[str, partial[Detector]]:
    """One zero-argument constructor per selected entry of the `detector` group (key = registered name)."""
    group = cfg.get("detector") or {}
    wanted = cfg.bench.get("detectors")
    names = list(group) if wanted is None else list(wanted)
    unknown = [n for n in names if n not in group]
    if unknown:
        raise ConfigError(
            f"detector(s) {unknown} are not in the detector group {list(group)}",
            "add them, e.g. `faceswap bench 'detector=[spectrum,meso4]'`",
        )
    factories = {}
    max_epochs = cfg.bench.get("max_epochs")
    for name in names:
        if name not in DETECTORS:
            raise ConfigError(f"detector '{name}' is not registered", f"choose from {', '.join(DETECTORS.names())}")
        options = dict(OmegaConf.to_container(group[name], resolve=True) or {})
        if max_epochs and "epochs" in options:
            options["epochs"] = min(int(options["epochs"]), int(max_epochs))
        factories[name] = partial(create_detector, name, seed=int(cfg.seed), **options)
    if not factories:
        raise ConfigError("no detector selected", "set `detector=[spectrum]` or bench.detectors")
    return factories


def selected_perturbations(bc: DictConfig) -> dict[str, list[float]]:
    """`bench.robustness` limited to `bench.perturbations` (null = all of them)."""
    levels: dict[str, list[float]] = OmegaConf.to_container(bc.robustness, resolve=True) if bc.get("robustness") else {}
    wanted = bc.get("perturbations")
    if wanted is None:
        return levels
    unknown = [p for p in wanted if p not in levels]
    if unknown:
        raise ConfigError(f"bench.perturbations names {unknown} without levels", f"choose from: {', '.join(levels)}")
    return {p: levels[p] for p in wanted}


def splits_of(data: Dataset, split_of: list[str]) -> Splits:
    """Train/val/test of `data` under one split assignment; each of train and test must hold both classes."""
    parts = {s: data.subset(split_of, (s,)) for s in ("train", "val", "test")}
    for split in ("train", "test"):
        labels = set(parts[split].labels.tolist())
        if labels != {0, 1}:
            raise FaceswapError(
                f"the {split} split of {data.path} lacks {'fakes' if 1 not in labels else 'reals'}",
                "generate more videos / identity pairs so every split gets both classes",
            )
    return Splits(**parts, families=method_families(data.records))


def load_test_sets(bc: DictConfig, data: Dataset, crop_size: int) -> tuple[dict[str, Samples], dict[str, Any]]:
    """`bench.test_datasets` as cross-dataset test sets (name -> samples) and what the protocol records of them."""
    train_videos = {str(r["video_id"]) for r in data.records if r["split"] in ("train", "val")}
    sets: dict[str, Samples] = {}
    record: dict[str, Any] = {}
    for path in bc.get("test_datasets") or []:
        if index_path(path).resolve() == Path(data.path).resolve():
            raise ConfigError(f"bench.test_datasets lists the training dataset {path}", "list other datasets only")
        other = read_dataset(str(path), crop_size)
        name = index_path(path).parent.name or "dataset"
        name = name if name not in sets and name != "in_domain" else f"{name}_{len(sets) + 1}"
        sets[name], dropped = cross_test_set(other, train_videos)
        record[name] = {"path": other.path, "videos_dropped_as_in_training": dropped, "frames": len(sets[name])}
    return sets, record


def redraws(data: Dataset, seed: int, repeats: int) -> tuple[list[Splits], list[int]]:
    """Repeats 2..N: fresh leakage-free splits of the same units and fractions, seeds derived from `seed`."""
    seeds = [int(np.random.SeedSequence([seed, r]).generate_state(1)[0]) for r in range(1, repeats)]
    return [splits_of(data, redraw_splits(data.records, s)) for s in seeds], seeds


def protocol_record(dataset: str, splits: Splits, protocol: Protocol, seeds: list[int]) -> dict[str, Any]:
    """The command-side part of results.json's protocol section (the runner adds the statistics)."""
    return {
        "dataset": str(index_path(dataset)),
        "crop_size": splits.test.size,
        "samples": {
            s: {"real": int((p.labels == 0).sum()), "fake": int((p.labels == 1).sum())}
            for s, p in (("train", splits.train), ("val", splits.val), ("test", splits.test))
        },
        "selection": "train on train, hyper-parameters / epoch chosen by val AUC, metrics on test",
        "seed": protocol.seed,
        "robustness_levels": dict(protocol.robustness),
        "detector_inputs": "crops, landmarks, frame order, timestamps, random per-video keys and nameless media "
        "handles; labels only to fit; no method names, ids or paths",
        "repeats": len(seeds) + 1,
        "repeat_split_seeds": seeds,
        "repeat_rule": "repeat 1 = the stored split; each other repeat re-draws whole split units, same fractions",
        "cross_dataset_rule": CROSS_RULE,
        "leave_one_family_out_rule": LOFO_RULE,
        "families": {m: splits.families.get(m, m) for m in splits.methods},
    }


def _protocol(cfg: DictConfig) -> Protocol:
    """The protocol knobs of `bench.*` and the run's seed."""
    bc = cfg.bench
    return Protocol(
        seed=int(cfg.seed),
        n_boot=int(bc.n_boot),
        cross_method=bool(bc.cross_method),
        robustness=selected_perturbations(bc),  # type: ignore[arg-type]
        leave_one_family_out=bool(bc.leave_one_family_out),
        min_videos=int(bc.min_test_videos),
    )


@translated("bench")
def run(cfg: DictConfig) -> dict[str, Any]:
    bc = cfg.bench
    start = time.perf_counter()
    plan = use_threads(bc.get("threads"))
    if not bc.get("threads") and plan.intra_op != plan.cpus:
        console.print(
            f"[yellow]note[/] the machine is busy: bench uses {plan.intra_op} of {plan.cpus} threads; the CNN "
            f"detectors' figures change with the thread count (bench.threads={plan.cpus} reproduces a quiet run)"
        )
    data = read_dataset(str(cfg.paths.synthetic_dir), bc.get("crop_size"))
    doc, splits = data.doc, splits_of(data, [r["split"] for r in data.records])
    factories = detector_factories(cfg)
    protocol = _protocol(cfg)
    repeats = int(bc.repeats)
    if repeats < 1:
        raise ConfigError(f"bench.repeats={repeats}", "set bench.repeats to 1 (the stored split) or more")
    draws, seeds = redraws(data, protocol.seed, repeats)  # before the long run: a bad draw fails fast
    test_sets, test_record = load_test_sets(bc, data, splits.test.size)
    console.print(f"[bold]bench[/] {len(factories)} detector(s) on {index_path(cfg.paths.synthetic_dir)}")
    say = lambda msg: console.print(f"  {msg}")  # noqa: E731
    with progress_bar("bench", work_units(len(factories), protocol)) as advance:
        results = run_benchmark(splits, factories, protocol, on_step=say, test_sets=test_sets, on_done=advance)
    results["repeats"] = run_repeats(draws, factories, protocol, results, on_step=say) if draws else {}
    results["protocol"] = {
        **doc.get("protocol", {}),
        **results["protocol"],
        **protocol_record(str(cfg.paths.synthetic_dir), splits, protocol, seeds),
        "oracle_detectors": {n: d["oracle"] for n, d in results["detectors"].items() if d.get("oracle")},
        "excluded_samples": {n: d["excluded"] for n, d in results["detectors"].items() if d.get("excluded")},
        "test_datasets": test_record,
        "threads": plan.intra_op,  # CPU training of the CNN detectors is reproducible at one thread count
    }
    for warning in results["protocol"]["warnings"]:
        console.print(f"[yellow]warning[/] {warning}")
    results["detector_configs"] = {n: OmegaConf.to_container(cfg.detector[n], resolve=True) for n in factories}
    results["dataset_methods"] = doc.get("methods", {})
    results["wall_seconds"] = round(time.perf_counter() - start, 2)
    paths = write_report(Path(cfg.paths.bench_dir), results)
    avg = results["average"].get("all")
    rows: dict[str, object] = {f"AUC {n}": f"{m['all']['auc']:.3f}" for n, m in results["main"].items()}
    rows.update({k: str(v) for k, v in paths.items()})
    print_summary("bench", rows)
    return {"auc": avg, "paths": {k: str(v) for k, v in paths.items()}, "results": results}
