"""Detector suite speed: the default `faceswap bench` (every CPU detector, full robustness table,
cross-method matrix, 1000 bootstrap resamples) on ~2,000 crops of 128 px.

Target (issue 6): at most 5 minutes on 2 CPU cores. The crops come from the toy generator
(`faceswap.synth.toy`: two methods, 34 videos x 20 frames -> 680 real + 1,360 fake crops), so the
timing does not depend on a trained checkpoint; AUCs on toy data are not meaningful and not reported.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from faceswap.cli import config_dir
    from faceswap.commands import bench
    from faceswap.synth.toy import build_toy_dataset

    n_videos, frames = (8, 12) if quick else (34, 20)
    with tempfile.TemporaryDirectory(prefix="faceswap-bench-speed-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        build_toy_dataset(
            root / "runs/sample/synthetic",
            n_videos=n_videos,
            frames=frames,
            size=128,
            methods=("toy_coarse", "toy_fine"),
        )
        build_s = time.perf_counter() - start
        overrides = [f"paths.root_dir={root}"]
        if quick:
            overrides += ["bench.n_boot=200", "bench.max_epochs=2", "bench.perturbations=[jpeg,h264]"]
        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = compose(config_name="bench", overrides=overrides)
        GlobalHydra.instance().clear()
        start, cpu_start = time.perf_counter(), _cpu_seconds()
        out = bench.run(cfg)
        suite_s, suite_cpu = time.perf_counter() - start, _cpu_seconds() - cpu_start
    res = out["results"]
    samples = res["protocol"]["samples"]
    crops = sum(v["real"] + v["fake"] for v in samples.values())
    detectors = {
        n: {k: d.get(k) for k in ("status", "fit_seconds", "ms_per_frame", "reason") if d.get(k) is not None}
        for n, d in res["detectors"].items()
    }
    return {
        "crops": crops,
        "crop_px": 128,
        "dataset_build_s": round(build_s, 1),
        "suite_s": round(suite_s, 1),
        "suite_cpu_s": round(suite_cpu, 1),  # user+sys of this process: comparable on a busy machine
        "load_avg_1min": round(os.getloadavg()[0], 1),
        "target_s": 300,
        "meets_target": suite_s <= 300 if not quick else None,
        "robustness_levels": sum(len(v) for v in res["protocol"]["robustness_levels"].values()),
        "detectors": detectors,
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
