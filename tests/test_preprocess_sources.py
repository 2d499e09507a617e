"""Preprocess on photo folders (no-face and unreadable images are counted skips), sharding and merging."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceswap.commands import collect, preprocess
from faceswap.data.faceset import read_faceset
from faceswap.data.preprocess_job import in_shard, parse_shard
from faceswap.data.sample_clip import sample_photo_path
from faceswap.utils.errors import FaceswapError


@pytest.fixture
def photo_folders(tmp_path: Path) -> dict[str, Path]:
    folders = {}
    for identity, photo in (("a", "astronaut"), ("b", "grace_hopper")):
        folder = tmp_path / "photos" / identity
        folder.mkdir(parents=True)
        shutil.copy(sample_photo_path(photo), folder / f"{photo}{sample_photo_path(photo).suffix}")
        image = np.asarray(Image.open(sample_photo_path(photo)).convert("RGB"))
        Image.fromarray(image[:, ::-1]).save(folder / "mirrored.webp", lossless=True)
        folders[identity] = folder
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(
        folders["a"] / "noise.png"
    )
    (folders["a"] / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return folders


def test_folder_preprocess_counts_no_face_and_unreadable(compose_cfg, photo_folders) -> None:
    cfg = compose_cfg(
        "preprocess",
        [
            "data=folder",
            f"data.identities.a.path={photo_folders['a']}",
            f"data.identities.b.path={photo_folders['b']}",
            "preprocess.face_type=whole_face",
        ],
    )
    collect.run(cfg)
    result = preprocess.run(cfg)
    assert result["faces"] == 4
    summary = json.loads((Path(cfg.paths.faces_dir) / "a" / "summary.json").read_text())
    assert summary["dropped"] == {"no_face": 1, "unreadable": 1} and summary["faces"] == 2
    rows = read_faceset(Path(cfg.paths.faces_dir) / "a")
    assert {r["face_type"] for r in rows} == {"whole_face"} and all(r["source_kind"] == "image" for r in rows)


def test_shard_parsing_and_assignment() -> None:
    assert parse_shard("1/4") == (1, 4) and parse_shard(None) is None
    for bad in ("4/4", "x", "1/0", "-1/2"):
        with pytest.raises(FaceswapError):
            parse_shard(bad)
    rows = [{"source": "v.mp4", "kind": "video", "frame_index": i} for i in range(1000)]
    owners = [[s for s in range(3) if in_shard(r, (s, 3))] for r in rows]
    assert all(len(o) == 1 for o in owners)  # every frame in exactly one shard
    assert len({o[0] for o in owners[:250]}) == 1  # a block of frames stays together (tracking continuity)


def test_sharded_runs_merge_into_one_face_set(compose_cfg, photo_folders) -> None:
    base = [
        "data=folder",
        f"data.identities.a.path={photo_folders['b']}",
        f"data.identities.b.path={photo_folders['b']}",
        "preprocess.identities=[a]",
    ]
    collect.run(compose_cfg("collect", base))
    with pytest.raises(FaceswapError, match="no finished shards"):
        preprocess.run(compose_cfg("preprocess", [*base, "preprocess.merge=true"]))
    for i in range(2):
        preprocess.run(compose_cfg("preprocess", [*base, f"preprocess.shard={i}/2"]))
    merged = preprocess.run(compose_cfg("preprocess", [*base, "preprocess.merge=true"]))
    faces_dir = Path(compose_cfg("preprocess", base).paths.faces_dir) / "a"
    rows = read_faceset(faces_dir)
    assert merged["faces"] == len(rows) == 2
    assert all(r["file"].startswith("shards/") for r in rows)
    whole = preprocess.run(compose_cfg("preprocess", [*base, "preprocess.force=true"]))
    assert whole["faces"] == 2


@pytest.mark.slow
def test_worker_pool_gives_the_same_faces_in_order(tmp_path: Path) -> None:
    from faceswap.data.image_pool import detect_images
    from faceswap.face.detect import create_face_detector
    from faceswap.face.landmarks import create_landmarker

    paths = []
    for i in range(2):
        for photo in ("astronaut", "grace_hopper"):
            dst = tmp_path / f"{i}_{photo}{sample_photo_path(photo).suffix}"
            shutil.copy(sample_photo_path(photo), dst)
            paths.append(dst)
    (tmp_path / "bad.png").write_bytes(b"nope")
    paths.append(tmp_path / "bad.png")
    detector, landmarker = create_face_detector("dlib_hog"), create_landmarker("dlib68")
    specs = ({"name": "dlib_hog"}, {"name": "dlib68"})
    serial = list(detect_images(paths, detector, landmarker, workers=1))
    pooled = list(detect_images(paths, detector, landmarker, workers=2, specs=specs))
    assert len(pooled) == len(paths) and pooled[-1] == (None, [])
    for (img_a, faces_a), (img_b, faces_b) in zip(serial[:-1], pooled[:-1], strict=True):
        assert np.array_equal(img_a, img_b) and len(faces_a) == len(faces_b) == 1
        assert np.allclose(faces_a[0][1], faces_b[0][1])
