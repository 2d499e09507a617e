"""`faceswap bench` on a tiny labelled set: the four report files, consistent with results.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faceswap.bench.report import render_markdown
from faceswap.commands.bench import run as run_bench
from faceswap.synth.toy import build_toy_dataset
from faceswap.utils.errors import FaceswapError

OVERRIDES = [
    "detector=[spectrum,srm]",
    "bench.n_boot=50",
    "~bench.robustness",
    "+bench.robustness={jpeg:[70,30],blur:[9]}",
    "bench.perturbations=null",
]


def test_bench_writes_consistent_report(compose_cfg, tmp_path: Path) -> None:
    cfg = compose_cfg("bench", OVERRIDES)
    build_toy_dataset(cfg.paths.synthetic_dir, n_videos=6, frames=5, size=64, methods=("coarse", "fine"))
    out = run_bench(cfg)
    bench_dir = Path(cfg.paths.bench_dir)
    for name in ("results.json", "report.md", "roc.png", "robustness.png"):
        assert (bench_dir / name).stat().st_size > 0, name
    text = (bench_dir / "results.json").read_text()
    assert "NaN" not in text
    res = json.loads(text)
    assert res["methods"] == ["coarse", "fine"] and set(res["main"]) == {"spectrum", "srm"}
    report = (bench_dir / "report.md").read_text()
    assert report == render_markdown(res)
    for name, per in res["main"].items():
        row = next(line for line in report.splitlines() if line.startswith(f"| {name} |"))
        assert f"{per['all']['auc']:.3f}" in row and f"{per['coarse']['auc']:.3f}" in row
        assert 0.0 <= per["all"]["auc"] <= 1.0 and per["all"]["n_real"] > 0
        assert set(res["cross_method"][name]) == {"coarse", "fine"}
        assert set(res["robustness"][name]) == {"jpeg", "blur"} and [
            p["level"] for p in res["robustness"][name]["jpeg"]
        ] == [70, 30]
    assert out["auc"] == pytest.approx(res["average"]["all"])
    assert res["protocol"]["samples"]["test"]["real"] > 0 and res["protocol"]["seed"] == cfg.seed
    assert "Cross-method matrix" in report and "Robustness" in report


def test_missing_dataset_and_unknown_detector_are_one_line_errors(compose_cfg) -> None:
    cfg = compose_cfg("bench", ["detector=[spectrum]"])
    with pytest.raises(FaceswapError, match="run `faceswap generate` first"):
        run_bench(cfg)
    cfg = compose_cfg("bench", ["detector=[spectrum]", "bench.detectors=[spectrum,oracle]"])
    build_toy_dataset(cfg.paths.synthetic_dir, n_videos=3, frames=2, size=64)
    with pytest.raises(FaceswapError, match="oracle"):
        run_bench(cfg)
