"""`faceswap preprocess` on the collected sample: aligned faces, exact matrices, resume, idempotent reruns."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from faceswap.commands import collect, preprocess
from faceswap.data import preprocess_job
from faceswap.data.faceset import JOURNAL, faceset_arrays, read_faceset
from faceswap.face.align import invert_matrix, transform_points
from faceswap.media.image import read_image, read_mask
from tests.conftest import compose_command


@pytest.fixture(scope="module")
def sample_collect(tmp_path_factory) -> Path:
    """Collect the sample once per module; each test gets its own copy."""
    root = tmp_path_factory.mktemp("collect")
    cfg = compose_command("collect", root)
    collect.run(cfg)
    return Path(cfg.paths.collect_dir)


@pytest.fixture
def collected(compose_cfg, sample_collect):
    cfg = compose_cfg("preprocess")
    shutil.copytree(sample_collect, cfg.paths.collect_dir)
    return cfg


def test_preprocess_writes_aligned_faces_with_exact_matrices(collected) -> None:
    cfg = collected
    result = preprocess.run(cfg)
    frames = int(cfg.data.limit)
    assert result["faces"] >= 2 * frames - 2
    for identity in ("a", "b"):
        folder = Path(cfg.paths.faces_dir) / identity
        rows = read_faceset(folder)
        assert len(rows) >= frames - 1
        row = rows[0]
        crop = read_image(row["path"])
        mask = read_mask(row["mask_path"])
        assert crop.shape == (128, 128, 3) and mask.shape == (128, 128) and 0.2 < mask.mean() < 0.9
        lm_crop, matrix = faceset_arrays(row)
        back = transform_points(lm_crop, invert_matrix(matrix))
        assert np.abs(back - np.asarray(row["landmarks"])).max() < 1.0
        assert row["face_type"] == "full" and row["size"] == 128 and len(row["pose"]) == 3
        assert row["config_hash"] and row["blur"] > 0
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["dropped_total"] == sum(summary["dropped"].values()) == summary["frames"] - len(rows)
        assert summary["jitter_smoothed"] < summary["jitter_raw"]  # One-Euro smoothing steadies the landmarks
        assert not (folder / JOURNAL).exists()


def test_rerun_writes_nothing_and_config_change_rebuilds(collected, compose_cfg) -> None:
    collected = compose_cfg("preprocess", ["preprocess.identities=[a]"])
    preprocess.run(collected)
    folder = Path(collected.paths.faces_dir) / "a"
    stamps = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    preprocess.run(collected)
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == stamps
    (folder / "000003.png").unlink()  # a damaged face set is rebuilt even with an unchanged config
    preprocess.run(collected)
    assert (folder / "000003.png").is_file()
    changed = compose_cfg("preprocess", ["preprocess.size=64", "preprocess.identities=[a]"])
    preprocess.run(changed)
    rows = read_faceset(folder)
    assert read_image(rows[0]["path"]).shape == (64, 64, 3)
    assert len(list(folder.glob("*.png"))) == len(rows)  # no stale crops from the first run


def test_interrupted_run_resumes_where_it_stopped(collected, compose_cfg, monkeypatch) -> None:
    cfg = compose_cfg("preprocess", ["preprocess.identities=[a]"])
    calls = {"n": 0}
    original = preprocess_job.FaceWriter.submit

    def crash_after_ten(self, row, faces, dropped):
        calls["n"] += 1
        if calls["n"] > 10:
            raise KeyboardInterrupt
        return original(self, row, faces, dropped)

    monkeypatch.setattr(preprocess_job.FaceWriter, "submit", crash_after_ten)
    with pytest.raises(KeyboardInterrupt):
        preprocess.run(cfg)
    folder = Path(cfg.paths.faces_dir) / "a"
    assert (folder / JOURNAL).exists() and not (folder / "manifest.jsonl").exists()
    monkeypatch.setattr(preprocess_job.FaceWriter, "submit", original)
    preprocess.run(cfg)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["frames_resumed"] == 10 and summary["frames_processed_now"] == summary["frames"] - 10
    rows = read_faceset(folder)
    assert [r["frame_index"] for r in rows] == sorted(r["frame_index"] for r in rows)
    assert len({r["file"] for r in rows}) == len(rows) >= summary["frames"] - 1


def test_missing_collect_gives_a_clear_error(compose_cfg) -> None:
    from faceswap.utils.errors import FaceswapError

    with pytest.raises(FaceswapError, match="faceswap collect"):
        preprocess.run(compose_cfg("preprocess"))


def test_identity_references_sort_and_refine_in_one_run(collected, compose_cfg) -> None:
    cfg = compose_cfg(
        "preprocess",
        [
            "preprocess.identities=[a]",
            "preprocess.identity.references={a: [astronaut]}",
            "preprocess.refine=true",
            "sort.by=varied",
            "sort.keep=8",
        ],
    )
    assert Path(cfg.paths.collect_dir) == Path(collected.paths.collect_dir)  # same tmp root
    preprocess.run(cfg)
    rows = read_faceset(Path(cfg.paths.faces_dir) / "a")
    assert len(rows) == 8  # sorted and cut right after extraction
    assert all(r["identity_distance"] is not None and r["identity_distance"] < 0.6 for r in rows)
    lm_crop, matrix = faceset_arrays(rows[0])
    assert np.abs(transform_points(lm_crop, invert_matrix(matrix)) - np.asarray(rows[0]["landmarks"])).max() < 1.0


def test_wrong_person_reference_drops_every_face(collected, compose_cfg) -> None:
    cfg = compose_cfg("preprocess", ["preprocess.identities=[b]", "preprocess.identity.references={b: [astronaut]}"])
    assert Path(cfg.paths.collect_dir) == Path(collected.paths.collect_dir)  # same tmp root
    preprocess.run(cfg)
    summary = json.loads((Path(cfg.paths.faces_dir) / "b" / "summary.json").read_text())
    assert summary["faces"] == 0 and summary["dropped"]["identity"] == summary["frames"]


def test_video_damaged_after_collect_counts_unreadable_frames(collected) -> None:
    clip = Path(collected.paths.collect_dir) / "a" / "clip.mp4"
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) // 2])
    preprocess.run(collected)
    summary = json.loads((Path(collected.paths.faces_dir) / "a" / "summary.json").read_text())
    assert summary["faces"] + summary["dropped_total"] == summary["frames"]
    assert summary["dropped"].get("unreadable", 0) >= 1
    clip.write_bytes(b"garbage, not a video")
    preprocess.run(compose_command("preprocess", Path(collected.paths.root_dir), ["preprocess.force=true"]))
    summary = json.loads((Path(collected.paths.faces_dir) / "a" / "summary.json").read_text())
    assert summary["faces"] == 0 and summary["dropped"] == {"unreadable": summary["frames"]}
