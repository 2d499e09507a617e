"""`faceswap bench`: benchmark the configured detectors on a labelled dataset (generate's index.json)."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from faceswap.bench.detectors.base import Detector
from faceswap.bench.report import write_report
from faceswap.bench.runner import Protocol, Splits, run_benchmark, work_units
from faceswap.synth.index import data_root, index_path, load_samples, read_index, read_rgb, select
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.io import safe_join
from faceswap.utils.logging import console, print_summary, progress_bar
from faceswap.utils.threads import use_threads


def detector_factories(cfg: DictConfig) -> dict[str, partial[Detector]]:
    """One zero-argument constructor per selected entry of the `detector` group."""
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
        node = group[name]
        if "_target_" not in node:
            raise ConfigError(f"detector '{name}' has no _target_", f"check configs/detector/{name}.yaml")
        extra = {"epochs": min(int(node.epochs), int(max_epochs))} if max_epochs and "epochs" in node else {}
        factories[name] = partial(instantiate, node, **extra)
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


def load_splits(dataset: str, crop_size: int | None) -> tuple[dict[str, Any], Splits]:
    doc = read_index(dataset)
    root = data_root(doc, dataset)
    if not doc["samples"]:
        raise FaceswapError(f"{index_path(dataset)} lists no samples", "rerun `faceswap generate`")
    crop_size = crop_size or doc.get("crop_size") or read_rgb(safe_join(root, doc["samples"][0]["file"])).shape[0]
    parts = {s: load_samples(root, select(doc["samples"], s), crop_size) for s in ("train", "val", "test")}
    for split in ("train", "test"):
        labels = set(parts[split].labels.tolist())
        if labels != {0, 1}:
            raise FaceswapError(
                f"the {split} split of {root} lacks {'fakes' if 1 not in labels else 'reals'}",
                "generate more videos / identity pairs so every split gets both classes",
            )
    return doc, Splits(**parts)


def run(cfg: DictConfig) -> dict[str, Any]:
    bc = cfg.bench
    start = time.perf_counter()
    use_threads(bc.get("threads"))
    doc, splits = load_splits(str(bc.dataset), bc.get("crop_size"))
    factories = detector_factories(cfg)
    robustness = selected_perturbations(bc)
    protocol = Protocol(
        seed=int(bc.seed), n_boot=int(bc.n_boot), cross_method=bool(bc.cross_method), robustness=robustness
    )  # type: ignore[arg-type]
    console.print(f"[bold]bench[/] {len(factories)} detector(s) on {index_path(bc.dataset)}")
    with progress_bar("bench", work_units(len(factories), protocol)) as advance:
        results = run_benchmark(splits, factories, protocol, lambda msg: console.print(f"  {msg}"), advance)
    results["protocol"] = {
        **doc.get("protocol", {}),
        "dataset": str(index_path(bc.dataset)),
        "crop_size": splits.test.size,
        "samples": {
            s: {"real": int((p.labels == 0).sum()), "fake": int((p.labels == 1).sum())}
            for s, p in (("train", splits.train), ("val", splits.val), ("test", splits.test))
        },
        "selection": "train on train, hyper-parameters / epoch chosen by val AUC, metrics on test",
        "video_level": "mean frame probability per (method, video)",
        "seed": protocol.seed,
        "bootstrap_resamples": protocol.n_boot,
        "robustness_levels": robustness,
    }
    results["detector_configs"] = {n: OmegaConf.to_container(cfg.detector[n], resolve=True) for n in factories}
    results["dataset_methods"] = doc.get("methods", {})
    results["wall_seconds"] = round(time.perf_counter() - start, 2)
    paths = write_report(Path(bc.out_dir), results)
    avg = results["average"].get("all")
    rows: dict[str, object] = {f"AUC {n}": f"{m['all']['auc']:.3f}" for n, m in results["main"].items()}
    rows.update({k: str(v) for k, v in paths.items()})
    print_summary("bench", rows)
    return {"auc": avg, "paths": {k: str(v) for k, v in paths.items()}, "results": results}
