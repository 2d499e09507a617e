"""`faceswap bench` protocols on toy datasets: repeated splits, cross-dataset, leave-one-family-out, video counts."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from faceswap.bench.report import render_markdown
from faceswap.commands.bench import run as run_bench
from faceswap.synth.index import read_index, write_index
from faceswap.synth.toy import build_toy_dataset

FAST = ["detector=[spectrum]", "bench.n_boot=50", "bench.perturbations=[]", "bench.cross_method=false"]


def _results(cfg: Any) -> tuple[dict[str, Any], str]:
    run_bench(cfg)
    out = Path(cfg.paths.bench_dir)
    res = json.loads((out / "results.json").read_text())
    report = (out / "report.md").read_text()
    assert report == render_markdown(res)
    return res, report


def _edit_index(root: Path, edit: Any) -> None:
    doc = read_index(root)
    for rec in doc["samples"]:
        edit(rec)
    meta = {k: v for k, v in doc.items() if k not in ("format", "version", "samples")}
    write_index(root, doc["samples"], **meta)


def _copy_is_real(rec: dict[str, Any]) -> None:
    """Label noise in about half the videos: their "copy" fakes are the real pixels. (All of them would make
    the AUC split-invariant: coarse fakes always found, identical pixels always tied, 0.75 every draw.)"""
    if rec["method"] == "copy" and zlib.crc32(rec["video_id"].encode()) % 2:
        rec["file"] = f"real/{rec['video_id']}/{rec['frame_index']:06d}.png"


def test_repeats_vary_and_reproduce(compose_cfg, tmp_path: Path) -> None:
    common = [*FAST, "bench.repeats=3", "bench.leave_one_family_out=false", "bench.threads=1"]
    cfg = compose_cfg("bench", common)
    build_toy_dataset(cfg.paths.synthetic_dir, n_videos=10, frames=3, size=48, methods=("coarse", "copy"))
    _edit_index(Path(cfg.paths.synthetic_dir), _copy_is_real)  # label noise: "copy" fakes are the real pixels
    res, report = _results(cfg)
    again, _ = _results(compose_cfg("bench", [*common, f"paths.bench_dir={tmp_path / 'again'}"]))
    rep = res["repeats"]["spectrum"]
    assert res["protocol"]["repeats"] == 3 and len(res["protocol"]["repeat_split_seeds"]) == 2
    assert rep["all"]["auc"]["values"][0] == res["main"]["spectrum"]["all"]["auc"]  # repeat 1 = stored split
    assert len(rep["all"]["auc"]["values"]) == 3 and rep["all"]["auc"]["sd"] > 0
    assert again["repeats"] == res["repeats"]
    assert "Repeated splits (3 splits" in report
    assert res["protocol"]["threads"] == 1  # recorded: CNN detectors reproduce at one thread count


def test_cross_dataset_table_has_in_domain_and_other_columns(compose_cfg, tmp_path: Path) -> None:
    other, same_clips = tmp_path / "other" / "synthetic", tmp_path / "same_clips" / "synthetic"
    cfg = compose_cfg(
        "bench", [*FAST, "bench.leave_one_family_out=false", f"bench.test_datasets=[{other},{same_clips}]"]
    )
    build_toy_dataset(cfg.paths.synthetic_dir, n_videos=6, frames=3, size=48, seed=0)
    build_toy_dataset(other, n_videos=6, frames=3, size=64, seed=1)  # other crop size: resized on load
    _edit_index(other, lambda rec: rec.update(video_id=f"other-{rec['video_id']}"))
    build_toy_dataset(same_clips, n_videos=6, frames=3, size=48, seed=2)  # same video ids as the training data
    res, report = _results(cfg)
    cross = res["cross_dataset"]["spectrum"]
    assert list(res["protocol"]["test_datasets"]) == ["synthetic", "synthetic_2"]
    assert cross["in_domain"]["auc"] == res["main"]["spectrum"]["all"]["auc"]
    assert cross["synthetic"]["n_videos_real"] == 6 and cross["synthetic"]["auc"] > 0.8
    assert cross["synthetic"]["video_auc"] is not None and len(cross["synthetic"]["auc_ci95"]) == 2
    dropped = res["protocol"]["test_datasets"]["synthetic_2"]["videos_dropped_as_in_training"]
    train_val = {r["video_id"] for r in read_index(cfg.paths.synthetic_dir)["samples"] if r["split"] != "test"}
    assert dropped == len(train_val) and cross["synthetic_2"]["n_videos_real"] == 6 - dropped
    header = next(line for line in report.splitlines() if line.startswith("| detector | in-domain frame"))
    assert "synthetic frame / video" in header and "synthetic_2 frame / video" in header


def test_leave_one_family_out_has_a_column_per_family(compose_cfg) -> None:
    cfg = compose_cfg("bench", FAST)
    build_toy_dataset(cfg.paths.synthetic_dir, n_videos=6, frames=3, size=48, methods=("coarse", "mid", "fine"))
    _edit_index(
        Path(cfg.paths.synthetic_dir), lambda rec: rec.update(family={"fine": "sharp"}.get(rec["method"], "soft"))
    )
    res, report = _results(cfg)
    lofo = res["leave_one_family_out"]["spectrum"]
    assert res["families"] == ["sharp", "soft"] and set(lofo) == {"sharp", "soft"}
    assert lofo["sharp"]["trained_on"] == ["soft"] and lofo["soft"]["trained_on"] == ["sharp"]
    assert lofo["soft"]["auc"] > 0.8  # coarse + mid fakes unseen, learned from the finest one
    assert res["protocol"]["families"] == {"coarse": "soft", "fine": "sharp", "mid": "soft"}
    assert "| detector | held out: sharp | held out: soft |" in report


def test_few_test_videos_warn_in_report_and_protocol(compose_cfg) -> None:
    cfg = compose_cfg("bench", [*FAST, "bench.leave_one_family_out=false"])
    build_toy_dataset(cfg.paths.synthetic_dir, n_videos=6, frames=3, size=48)
    res, report = _results(cfg)
    videos = res["protocol"]["test_videos"]
    assert videos == {"real": 1, "fake": 1} and res["main"]["spectrum"]["all"]["n_videos_real"] == 1
    assert res["protocol"]["bootstrap_unit"].startswith("source video") and res["protocol"]["bootstrap_resamples"] == 50
    assert any("1 real / 1 fake test videos (< 10)" in w for w in res["protocol"]["warnings"])
    assert "> **Warning:** test split: only 1 real / 1 fake" in report
    quiet, _ = _results(compose_cfg("bench", [*FAST, "bench.min_test_videos=1", "paths.bench_dir=${paths.run_dir}/b2"]))
    assert quiet["protocol"]["warnings"] == []


def test_repeats_below_one_is_refused(compose_cfg) -> None:
    from faceswap.utils.errors import FaceswapError

    cfg = compose_cfg("bench", [*FAST, "bench.repeats=0"])
    build_toy_dataset(cfg.paths.synthetic_dir, n_videos=3, frames=2, size=48)
    with pytest.raises(FaceswapError, match=r"bench\.repeats"):
        run_bench(cfg)
