"""Sharded preprocessing through Hydra multirun with the local joblib launcher, then a merge (CLI, slow)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from faceswap.data.faceset import read_faceset


def _faceswap(*args: str, root: Path, **env: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "faceswap.cli", *args, f"paths.root_dir={root}", "debug=fast"]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "MPLBACKEND": "Agg", **env}
    )


@pytest.mark.slow
def test_joblib_multirun_shards_then_merge(tmp_path: Path) -> None:
    assert _faceswap("collect", root=tmp_path).returncode == 0
    sharded = _faceswap(
        "preprocess",
        "-m",
        "hydra/launcher=shards_local",
        "preprocess.shard=0/2,1/2",
        "preprocess.identities=[a]",
        root=tmp_path,
    )
    assert sharded.returncode == 0, sharded.stderr[-2000:]
    merged = _faceswap("preprocess", "preprocess.merge=true", "preprocess.identities=[a]", root=tmp_path)
    assert merged.returncode == 0, merged.stderr[-2000:]
    rows = read_faceset(tmp_path / "runs" / "sample" / "faces" / "a")
    assert len(rows) >= 23 and len({r["frame_index"] for r in rows}) == len(rows)


def test_bad_shard_value_is_one_line(tmp_path: Path) -> None:
    result = _faceswap("preprocess", "preprocess.shard=3/2", root=tmp_path)
    assert result.returncode == 2
    assert "shard" in result.stderr and "Traceback" not in result.stderr


def test_face_alignment_without_weights_names_the_offline_default(compose_cfg, tmp_path: Path, monkeypatch) -> None:
    from faceswap.commands.preprocess import build_backend
    from faceswap.face.detect import create_face_detector
    from faceswap.face.landmarks import create_landmarker
    from faceswap.utils.errors import FaceswapError

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))  # no cached weights, whatever the machine
    cfg = compose_cfg("preprocess", ["landmarks=fan2d", "face_detector=sfd"])
    for section, build, default in (
        (cfg.landmarks, create_landmarker, "landmarks=dlib68"),
        (cfg.face_detector, create_face_detector, "face_detector=dlib_hog"),
    ):
        with pytest.raises(FaceswapError) as err:
            build_backend(section, build)
        assert default in str(err.value) and "\n" not in str(err.value)
