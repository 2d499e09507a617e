"""Held-out faces: a time-separated tail per video, recorded by train, carried by finetune, read by eval."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from faceswap.data.augment import AugmentConfig
from faceswap.data.datamodule import SwapDataModule
from faceswap.data.facesort import sort_faceset
from faceswap.data.holdout import HoldoutRule, choose_holdout, choose_identity, face_key, read_holdout
from faceswap.utils.errors import FaceswapError
from tests.train_faces import write_faceset


def video_rows(source: str, frames: int, fps: float = 25.0, every: int = 1) -> list[dict[str, Any]]:
    return [{"source": source, "frame_index": i, "timestamp": i / fps} for i in range(0, frames, every)]


def test_a_video_holds_out_its_last_15_percent_one_second_after_the_last_training_face() -> None:
    rows = video_rows("v.mp4", 100)  # 4 s at 25 fps
    part = choose_identity(rows, HoldoutRule(fraction=0.15, gap_s=1.0))
    assert part.held_out == {("v.mp4", i) for i in range(85, 100)}
    assert part.gap == {("v.mp4", i) for i in range(61, 85)}  # frame 60 is exactly 1 s before frame 85
    train = [r for r in rows if face_key(r) not in part.excluded]
    held = [r for r in rows if face_key(r) in part.held_out]
    assert min(h["timestamp"] for h in held) - max(t["timestamp"] for t in train) >= 1.0 - 1e-9
    assert len(train) == 61 and part.faces == 100


def test_each_video_and_the_photo_collection_get_their_own_tail() -> None:
    rows = video_rows("/d/one.mp4", 40) + video_rows("/d/two.mp4", 20)
    photos = [{"source": f"/p/img_{i:03d}.jpg", "frame_index": 0, "timestamp": None} for i in range(20)]
    part = choose_identity(rows + photos, HoldoutRule(fraction=0.15, gap_s=0.0))
    assert {k for k in part.held_out if k[0] == "/d/one.mp4"} == {("/d/one.mp4", i) for i in range(34, 40)}
    assert {k for k in part.held_out if k[0] == "/d/two.mp4"} == {("/d/two.mp4", i) for i in range(17, 20)}
    assert {k for k in part.held_out if k[0].startswith("/p/")} == {(f"/p/img_{i:03d}.jpg", 0) for i in (17, 18, 19)}
    assert part.gap == set()
    assert choose_identity(rows, HoldoutRule(fraction=0.0)).excluded == set()


def test_sorting_or_reordering_the_manifest_cannot_change_the_holdout(tmp_path: Path) -> None:
    faces = tmp_path / "faces"
    write_faceset(faces, "a", "a", 20, size=64)
    rule = HoldoutRule(fraction=0.15, gap_s=0.2)
    before = choose_holdout(faces, ["a"], rule).to_json()
    manifest = faces / "a" / "manifest.jsonl"
    lines = manifest.read_text().splitlines()
    random.Random(0).shuffle(lines)
    manifest.write_text("\n".join(lines) + "\n")
    assert choose_holdout(faces, ["a"], rule).to_json() == before
    for by in ("blur", "yaw", "hist"):
        sort_faceset(faces / "a", by, None, True, 10)
        assert choose_holdout(faces, ["a"], rule).to_json() == before, by
    held = before["identities"]["a"]["held_out"]
    assert sorted(i for _, i in held) == [17, 18, 19]


def test_training_sees_exactly_the_faces_the_holdout_leaves(tmp_path: Path) -> None:
    faces = tmp_path / "faces"
    for ident in ("a", "b"):
        write_faceset(faces, ident, ident, 20, size=64)
    holdout = choose_holdout(faces, ["a", "b"], HoldoutRule(fraction=0.15, gap_s=0.2))
    data = SwapDataModule(str(faces), ["a", "b"], 64, AugmentConfig(), holdout=holdout)
    data.setup()
    for ident, rows in zip(("a", "b"), data.sides, strict=True):
        seen = {face_key(r) for r in rows}
        part = holdout.identities[ident]
        assert seen.isdisjoint(part.excluded) and len(seen) + len(part.excluded) == 20
        assert sorted(i for _, i in seen) == list(range(13))  # 17..19 held out, 13..16 less than 0.2 s before


def test_train_records_the_holdout_finetune_carries_it_and_eval_reads_it(tmp_path: Path) -> None:
    from faceswap.commands import eval as eval_stage
    from faceswap.commands import finetune, train
    from tests.conftest import compose_command
    from tests.train_faces import sample_faces

    faces = sample_faces()
    over = [f"paths.faces_dir={faces}", "train.steps=2", "finetune.steps=1", "train.preview_every=0"]
    train.run(compose_command("train", tmp_path, over))
    run = tmp_path / "runs" / "sample"
    recorded = json.loads((run / "train" / "holdout.json").read_text())
    assert recorded["rule"] == "temporal_tail" and recorded["fraction"] == 0.15 and recorded["gap_s"] == 0.25
    assert [i for _, i in recorded["identities"]["a"]["held_out"]] == [10, 11]  # 12 faces at 25 fps
    finetune.run(compose_command("finetune", tmp_path, over))
    carried = read_holdout(run / "finetune" / "holdout.json")
    assert carried.origin == str(run / "train" / "holdout.json")
    assert carried.to_json()["identities"] == recorded["identities"]
    assert eval_stage.run_holdout(run / "finetune" / "generator.pt").to_json()["identities"] == recorded["identities"]
    (run / "finetune" / "holdout.json").unlink()
    with pytest.raises(FaceswapError, match=r"no holdout\.json"):
        eval_stage.run_holdout(run / "finetune" / "generator.pt")
    assert eval_stage.run_holdout(None) is None
    with pytest.raises(FaceswapError, match=r"data\.holdout"):  # a resumed run may not change its holdout
        train.run(compose_command("train", tmp_path, [*over, "train.steps=3", "data.holdout.fraction=0.3"]))
