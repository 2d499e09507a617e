"""FaceForensics++ and DeepfakeBench layouts round-trip on tiny fixtures."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from faceswap.media.video import VideoWriter
from faceswap.synth.deepfakebench import export_deepfakebench, import_deepfakebench
from faceswap.synth.ffpp import export_ffpp, import_ffpp, read_ffpp
from faceswap.synth.index import read_index
from faceswap.synth.splits import check_no_leakage
from faceswap.synth.toy import build_toy_dataset


def test_deepfakebench_round_trip(tmp_path: Path) -> None:
    index = build_toy_dataset(tmp_path / "toy", n_videos=4, frames=3, size=64, methods=("coarse", "fine"))
    original = read_index(index)["samples"]
    out_json, labels_json = export_deepfakebench(tmp_path / "toy", tmp_path / "dfb" / "faceswap.json")
    doc = json.loads(out_json.read_text())
    assert set(doc["faceswap"]) == {"faceswap-real", "faceswap-coarse", "faceswap-fine"}
    video = next(iter(doc["faceswap"]["faceswap-fine"]["train"]["raw"].values()))
    assert video["label"] == "faceswap-fine" and Path(video["frames"][0]).is_file() and len(video["masks"]) == 3
    assert json.loads(labels_json.read_text()) == {"faceswap-real": 0, "faceswap-coarse": 1, "faceswap-fine": 1}
    back = read_index(import_deepfakebench(out_json, tmp_path / "imported"))
    root = Path(back["data_root"])

    def key(r: dict, base: Path) -> tuple:
        return (str((base / r["file"]).resolve()), r["label"], r["split"])

    assert {key(r, root) for r in back["samples"]} == {key(r, tmp_path / "toy") for r in original}
    assert {r["method"] for r in back["samples"]} == {"real", "faceswap-coarse", "faceswap-fine"}


def test_ffpp_round_trip(tmp_path: Path) -> None:
    index = build_toy_dataset(tmp_path / "toy", n_videos=4, frames=3, size=64, methods=("Deepfakes",))
    original = read_index(index)["samples"]
    root = export_ffpp(tmp_path / "toy", tmp_path / "ffpp", compression="raw")
    assert len(list((root / "original_sequences/youtube/raw/videos").glob("*.mp4"))) == 4
    fakes = sorted((root / "manipulated_sequences/Deepfakes/raw/videos").glob("*.mp4"))
    assert len(fakes) == 4 and all("_" in p.stem for p in fakes)
    videos = read_ffpp(root, "raw")
    assert Counter(v.label for v in videos) == {0: 4, 1: 4} and all(v.split for v in videos)
    back = read_index(import_ffpp(videos, tmp_path / "imported", frames_per_video=3, crop_size=64))["samples"]
    ids = json.loads((root / "faceswap_ids.json").read_text())

    def summary(recs: list[dict], video_of) -> Counter:
        return Counter((video_of(r), r["label"], r["method"], r["split"]) for r in recs)

    assert summary(back, lambda r: r["video_id"]) == summary(original, lambda r: ids[r["video_id"]])
    check_no_leakage(back)


def _clip(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with VideoWriter(path, fps=10) as writer:
        for _ in range(5):
            writer.write(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8))


def test_ffpp_layout_without_split_files_splits_by_pair(tmp_path: Path) -> None:
    for i in range(4):
        _clip(tmp_path / f"original_sequences/youtube/c23/videos/{i:03d}.mp4", i)
    for t, s in (("000", "001"), ("001", "000"), ("002", "003"), ("003", "002")):
        _clip(tmp_path / f"manipulated_sequences/FaceSwap/c23/videos/{t}_{s}.mp4", int(t) + 10)
    _clip(tmp_path / "manipulated_sequences/NeuralTextures/c23/videos/000_001.mp4", 99)
    videos = read_ffpp(tmp_path, "c23", methods=["FaceSwap"])
    fake = next(v for v in videos if v.label == 1)
    assert (fake.target, fake.source, fake.method, fake.split) == ("000", "001", "FaceSwap", None)
    assert len(videos) == 8
    back = read_index(import_ffpp(videos, tmp_path / "imported", frames_per_video=2, crop_size=32))["samples"]
    assert len(back) == 16
    check_no_leakage(back)
    split_of = {r["video_id"]: r["split"] for r in back}
    assert split_of["000"] == split_of["001"] and split_of["002"] == split_of["003"]


def test_generate_stage_imports_ffpp(compose_cfg, tmp_path: Path) -> None:
    from faceswap.commands.generate import run as run_generate

    for i in range(2):
        _clip(tmp_path / f"ff/original_sequences/youtube/c40/videos/{i:03d}.mp4", i)
    _clip(tmp_path / "ff/manipulated_sequences/Deepfakes/c40/videos/000_001.mp4", 5)
    cfg = compose_cfg(
        "generate",
        [
            "generate.source=ffpp",
            f"generate.source_root={tmp_path / 'ff'}",
            "generate.compression=c40",
            "generate.detect_faces=false",
            "generate.frames_per_video=2",
            "generate.crop_size=32",
        ],
    )
    out = run_generate(cfg)
    assert out["samples"] == 6 and out["methods"] == ["Deepfakes", "real"]
    assert read_index(cfg.paths.synthetic_dir)["samples"][0]["compression"] == "c40"
