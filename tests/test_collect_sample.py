"""`faceswap collect` on the embedded sample: a real moving clip per photo, a manifest, free reruns."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from faceswap.commands import collect
from faceswap.media.video import probe, read_video
from faceswap.utils.io import read_jsonl


def test_sample_collect_writes_moving_clips_and_manifests(compose_cfg) -> None:
    cfg = compose_cfg("collect")
    result = collect.run(cfg)
    frames = int(cfg.data.limit)
    assert result["frames"] == 2 * frames and result["skipped"] == 0
    for identity in ("a", "b"):
        folder = Path(cfg.paths.collect_dir) / identity
        info = probe(folder / "clip.mp4")
        assert info.frames == frames and info.width == info.height == int(cfg.data.identities[identity].size)
        rows = read_jsonl(folder / "manifest.jsonl")
        assert [r["frame_index"] for r in rows] == list(range(frames))
        assert {"source", "frame_index", "timestamp", "sha256", "frame_sha256", "identity"} <= set(rows[0])
        assert len({r["frame_sha256"] for r in rows}) == frames
        images = [f.image.astype(np.float32) for f in read_video(folder / "clip.mp4")]
        steps = [np.abs(b - a).mean() for a, b in itertools.pairwise(images)]
        assert 0.5 < np.median(steps) < 25  # smooth motion: every frame moves, none jumps
        assert np.abs(images[-1] - images[0]).mean() > np.median(steps)


def test_collect_rerun_is_skipped_and_force_redoes(compose_cfg) -> None:
    cfg = compose_cfg("collect")
    collect.run(cfg)
    clip = Path(cfg.paths.collect_dir) / "a" / "clip.mp4"
    stamp = clip.stat().st_mtime_ns
    assert collect.run(cfg)["skipped"] == 2
    assert clip.stat().st_mtime_ns == stamp
    clip.unlink()  # lost media: collected again even though the config did not change
    assert collect.run(cfg)["skipped"] == 1 and clip.is_file()
    stamp = clip.stat().st_mtime_ns
    forced = compose_cfg("collect", ["collect.force=true", "collect.identities=[a]"])
    assert collect.run(forced)["skipped"] == 0 and clip.stat().st_mtime_ns != stamp
