"""Sorting and subsampling a face set (crafted manifest), through the `sort` stage's function."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from faceswap.commands import sort
from faceswap.data.faceset import read_faceset, write_manifest
from faceswap.data.facesort import UNSORTED, most_varied
from faceswap.media.image import write_image
from faceswap.utils.errors import ConfigError


def _faceset(folder: Path, n: int = 12) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        name = f"{i:06d}.png"
        tint = np.array([200, 40, 40]) if i % 2 else np.array([40, 40, 200])  # two colour groups
        write_image(folder / name, np.clip(tint + rng.normal(0, 5, (16, 16, 3)), 0, 255).astype(np.uint8))
        write_image(folder / "masks" / name, np.full((16, 16), 255, np.uint8))
        rows.append(
            {
                "file": name,
                "mask": f"masks/{name}",
                "landmarks_crop": [[0, 0]] * 68,
                "matrix": [[1, 0, 0], [0, 1, 0]],
                "frame_index": i,
                "source": "clip.mp4",
                "pose": [float(i * 5 - 30), float((i % 4) * 5), 0.0],
                "blur": float((i * 7) % 12),
                "identity_distance": float(abs(i - 6)) / 10,
            }
        )
    write_manifest(folder, rows)


@pytest.fixture
def faceset_cfg(compose_cfg):
    cfg = compose_cfg("sort", ["sort.identities=[a]"])
    _faceset(Path(cfg.paths.faces_dir) / "a")
    return cfg


def _order(cfg) -> list[int]:
    return [r["frame_index"] for r in read_faceset(Path(cfg.paths.faces_dir) / "a")]


def test_sort_by_each_key(faceset_cfg, compose_cfg) -> None:
    for by, check in (
        ("blur", lambda rows: [r["blur"] for r in rows] == sorted((r["blur"] for r in rows), reverse=True)),
        ("yaw", lambda rows: [r["pose"][0] for r in rows] == sorted(r["pose"][0] for r in rows)),
        ("pitch", lambda rows: [r["pose"][1] for r in rows] == sorted(r["pose"][1] for r in rows)),
        ("identity", lambda rows: rows[0]["frame_index"] == 6),
    ):
        sort.run(compose_cfg("sort", ["sort.identities=[a]", f"sort.by={by}"]))
        assert check(read_faceset(Path(faceset_cfg.paths.faces_dir) / "a")), by


def test_hist_sort_groups_similar_colours(faceset_cfg, compose_cfg) -> None:
    sort.run(compose_cfg("sort", ["sort.identities=[a]", "sort.by=hist"]))
    parity = [i % 2 for i in _order(faceset_cfg)]
    assert sum(a != b for a, b in itertools.pairwise(parity)) == 1  # one switch between groups


def test_keep_varied_and_restore(faceset_cfg, compose_cfg) -> None:
    folder = Path(faceset_cfg.paths.faces_dir) / "a"
    assert (
        sort.run(compose_cfg("sort", ["sort.identities=[a]", "sort.by=varied", "sort.keep=4", "sort.bins=4"]))["faces"]
        == 4
    )
    yaws = [r["pose"][0] for r in read_faceset(folder)]
    assert max(yaws) - min(yaws) >= 30  # spread over the yaw range, not 4 neighbours
    assert (folder / UNSORTED).is_file()
    sort.run(compose_cfg("sort", ["sort.identities=[a]", "sort.by=none"]))
    assert _order(faceset_cfg) == list(range(12))  # the preprocess order is never lost


def test_most_varied_returns_everything_when_keep_is_large() -> None:
    rows = [{"pose": [0, 0, 0], "blur": 1.0}] * 3
    assert most_varied(rows, 10) == rows


def test_bad_sort_options(faceset_cfg, compose_cfg) -> None:
    with pytest.raises(ConfigError, match="choose one of"):
        sort.run(compose_cfg("sort", ["sort.identities=[a]", "sort.by=age"]))
    with pytest.raises(ConfigError, match=r"sort\.by is not set"):
        sort.run(compose_cfg("sort", ["sort.identities=[a]"]))
