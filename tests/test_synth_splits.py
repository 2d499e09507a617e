"""Splits never leak a video or an identity pair across train/val/test."""

from __future__ import annotations

import pytest

from faceswap.synth.splits import assign_splits, check_no_leakage, split_units
from faceswap.utils.errors import FaceswapError


def _records(pairs: list[tuple[str, str]], frames: int = 3) -> list[dict]:
    recs = []
    for src, tgt in pairs:
        video = f"{tgt}_{src}"
        for f in range(frames):
            recs.append(
                {"video_id": f"{tgt}/v", "label": 0, "source_identity": tgt, "target_identity": tgt, "frame": f}
            )
            recs.append(
                {
                    "video_id": f"{tgt}/v",
                    "label": 1,
                    "source_identity": src,
                    "target_identity": tgt,
                    "frame": f,
                    "fake_of": video,
                }
            )
    return recs


def test_single_pair_splits_by_video() -> None:
    recs = [
        {"video_id": f"a/seg{i}", "label": i % 2, "source_identity": "b", "target_identity": "a"} for i in range(20)
    ]
    units = assign_splits(recs, (0.6, 0.2, 0.2), seed=1)
    assert units == {"train": 12, "val": 4, "test": 4}
    check_no_leakage(recs)
    by_video: dict[str, set[str]] = {}
    for r in recs:
        by_video.setdefault(r["video_id"], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_video.values())


def test_several_pairs_keep_pairs_and_their_videos_together() -> None:
    # b->a and a->b share the pair {a,b}; the real videos of a and b must follow that pair.
    recs = _records([("b", "a"), ("a", "b"), ("d", "c"), ("f", "e"), ("h", "g")])
    units = split_units(recs)
    assert len(set(units)) == 4  # {a,b} (two videos), {c,d}, {e,f}, {g,h}
    assign_splits(recs, (0.5, 0.25, 0.25), seed=0)
    check_no_leakage(recs)
    splits_ab = {r["split"] for r in recs if r["video_id"] in ("a/v", "b/v")}
    assert len(splits_ab) == 1
    assert {r["split"] for r in recs} == {"train", "val", "test"}


def test_every_split_gets_a_unit_when_possible_and_leaks_are_caught() -> None:
    recs = [{"video_id": f"v{i}", "label": 0} for i in range(3)]
    assert assign_splits(recs, (0.9, 0.05, 0.05)) == {"train": 1, "val": 1, "test": 1}
    recs[0]["video_id"] = recs[1]["video_id"]
    recs[0]["split"], recs[1]["split"] = "train", "test"
    with pytest.raises(FaceswapError, match="is in both"):
        check_no_leakage(recs)
    with pytest.raises(FaceswapError, match="split fractions"):
        assign_splits(recs, (1.0, -1.0, 0.0))
