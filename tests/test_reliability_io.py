"""Atomic writes, path confinement and read-only outputs: the I/O guarantees every stage relies on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_path, atomic_write_json, ensure_writable_dir, read_jsonl, safe_join


def test_failed_write_leaves_previous_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    atomic_write_json(target, {"auc": 0.9})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text('{"auc": 0.')  # half-written, then the job dies
        raise RuntimeError("killed")
    assert target.read_text().strip().startswith("{") and '"auc": 0.9' in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"], "a temp file was left behind"


@pytest.mark.parametrize("bad", ["../escape.png", "/etc/passwd", "a/../../b.png"])
def test_manifest_paths_cannot_escape_root(tmp_path: Path, bad: str) -> None:
    with pytest.raises(FaceswapError, match="escapes its root"):
        safe_join(tmp_path, bad)


def test_manifest_symlink_out_of_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(FaceswapError, match="link"):
        safe_join(root, "link/face.png")
    assert safe_join(root, "sub/face.png") == (root / "sub" / "face.png").resolve()


def test_read_only_output_folder_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    if os.geteuid() == 0:  # root may write anywhere: make the permission check see what a user would
        monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != folder)
    with pytest.raises(FaceswapError, match="read-only"):
        ensure_writable_dir(folder)


def test_output_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(FaceswapError, match="cannot create output folder"):
        ensure_writable_dir(blocker / "sub")


def test_corrupt_manifest_line_names_file_and_line(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"file": "a.png"}\n{"file": \n')
    with pytest.raises(FaceswapError, match=r"manifest.jsonl:2"):
        read_jsonl(manifest)
