"""Every collection source on small local fixtures, and bad inputs giving one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from faceswap.commands import collect
from faceswap.data.sources import collect_identity, identity_folders
from faceswap.media.video import VideoWriter
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.io import read_jsonl


def _tree(root: Path, people: dict[str, int]) -> Path:
    for person, count in people.items():
        (root / person).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(np.full((8, 8, 3), i * 20, np.uint8)).save(root / person / f"{person}_{i + 1:04d}.jpg")
    return root


def _clip(path: Path, frames: int = 30, fps: float = 10.0) -> Path:
    with VideoWriter(path, fps=fps) as writer:
        for i in range(frames):
            writer.write(np.full((32, 32, 3), i * 5, np.uint8))
    return path


def test_video_source_selects_frames_and_hashes(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "in.mp4")
    rows = collect_identity("a", tmp_path, {"kind": "video", "path": str(clip), "fps": 5, "start": 1.0, "end": 2.0})
    assert [r["frame_index"] for r in rows] == [10, 12, 14, 16, 18]
    assert rows[0]["source"] == str(clip.resolve()) and rows[0]["timestamp"] == pytest.approx(1.0)
    assert len(rows[0]["sha256"]) == 64 and len({r["frame_sha256"] for r in rows}) == 5
    two = collect_identity("a", tmp_path, {"kind": "video", "path": [str(clip), str(clip)], "max_frames": 3})
    assert len(two) == 6


def test_images_source_recursive_and_formats(tmp_path: Path) -> None:
    (tmp_path / "pics" / "sub").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(tmp_path / "pics" / "a.png")
    Image.new("L", (8, 8)).save(tmp_path / "pics" / "sub" / "b.webp")
    Image.new("RGB", (8, 8)).save(tmp_path / "pics" / "c.bmp")
    (tmp_path / "pics" / "notes.txt").write_text("not an image")
    rows = collect_identity("a", tmp_path, {"kind": "images", "path": str(tmp_path / "pics")})
    assert sorted(Path(r["source"]).name for r in rows) == ["a.png", "b.webp", "c.bmp"]
    flat = collect_identity("a", tmp_path, {"kind": "images", "path": str(tmp_path / "pics"), "recursive": False})
    assert len(flat) == 2 and all(r["kind"] == "image" for r in flat)


def test_identity_tree_by_name_and_rank(tmp_path: Path) -> None:
    root = _tree(tmp_path / "lfw", {"Ann_A": 2, "Bob_B": 4, "Cid_C": 3})
    assert identity_folders(root) == [("Bob_B", 4), ("Cid_C", 3), ("Ann_A", 2)]
    by_rank = collect_identity("a", tmp_path, {"kind": "identity_tree", "root": str(root), "rank": 2})
    assert {r["person"] for r in by_rank} == {"Cid_C"} and len(by_rank) == 3
    by_name = collect_identity("a", tmp_path, {"kind": "identity_tree", "root": str(root), "name": "Ann_A"})
    assert len(by_name) == 2
    with pytest.raises(FaceswapError, match="not found"):
        collect_identity("a", tmp_path, {"kind": "identity_tree", "root": str(root), "name": "Zed"})
    with pytest.raises(ConfigError):
        collect_identity("a", tmp_path, {"kind": "identity_tree", "root": str(root), "rank": 9})


def test_lfw_layout_of_torchvision(tmp_path: Path) -> None:
    _tree(tmp_path / "lfw-py" / "lfw_funneled", {"George_W_Bush": 3, "Colin_Powell": 2})
    rows = collect_identity("a", tmp_path, {"kind": "lfw", "root": str(tmp_path), "rank": 1})
    assert {r["person"] for r in rows} == {"George_W_Bush"}
    with pytest.raises(FaceswapError, match="download=true"):
        collect_identity("a", tmp_path, {"kind": "lfw", "root": str(tmp_path / "none")})


def test_celeba_layout_of_torchvision(tmp_path: Path) -> None:
    base = tmp_path / "celeba"
    (base / "img_align_celeba").mkdir(parents=True)
    table = {"000001.jpg": 7, "000002.jpg": 9, "000003.jpg": 7, "000004.jpg": 7, "000005.jpg": 9}
    for name in table:
        Image.new("RGB", (8, 8)).save(base / "img_align_celeba" / name)
    (base / "identity_CelebA.txt").write_text("".join(f"{k} {v}\n" for k, v in table.items()))
    top = collect_identity("a", tmp_path, {"kind": "celeba", "root": str(tmp_path), "rank": 1})
    assert {r["person"] for r in top} == {7} and len(top) == 3
    by_id = collect_identity("a", tmp_path, {"kind": "celeba", "root": str(tmp_path), "celeb_id": 9, "max_images": 1})
    assert len(by_id) == 1


def test_download_true_asks_torchvision_then_reads_what_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The download path without a network: torchvision's dataset classes are replaced by fakes that write
    the layout a real download leaves (LFWPeople / CelebA), or fail as an offline machine does."""
    import urllib.error

    import torchvision.datasets

    calls: list[tuple[str, dict]] = []

    class FakeLFW:
        def __init__(self, root: str, **kwargs: object) -> None:
            calls.append(("lfw", kwargs))
            _tree(Path(root) / "lfw-py" / "lfw_funneled", {"Ada_L": 2})

    class FakeCelebA:
        def __init__(self, root: str, **kwargs: object) -> None:
            calls.append(("celeba", kwargs))
            base = Path(root) / "celeba"
            (base / "img_align_celeba").mkdir(parents=True)
            Image.new("RGB", (8, 8)).save(base / "img_align_celeba" / "000001.jpg")
            (base / "identity_CelebA.txt").write_text("000001.jpg 4\n")

    monkeypatch.setattr(torchvision.datasets, "LFWPeople", FakeLFW)
    monkeypatch.setattr(torchvision.datasets, "CelebA", FakeCelebA)
    rows = collect_identity("a", tmp_path, {"kind": "lfw", "root": str(tmp_path / "d"), "rank": 1, "download": True})
    assert {r["person"] for r in rows} == {"Ada_L"} and calls[0] == ("lfw", {**calls[0][1], "download": True})
    rows = collect_identity("a", tmp_path, {"kind": "celeba", "root": str(tmp_path / "d"), "download": True})
    assert [r["person"] for r in rows] == [4] and calls[1][1]["target_type"] == "identity"
    collect_identity("a", tmp_path, {"kind": "lfw", "root": str(tmp_path / "d"), "rank": 1, "download": True})
    assert len(calls) == 2  # already on disk: no second download

    def offline(root: str, **kwargs: object) -> None:
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.datasets, "LFWPeople", offline)
    with pytest.raises(FaceswapError, match="downloading LFW failed") as err:
        collect_identity("a", tmp_path, {"kind": "lfw", "root": str(tmp_path / "e"), "download": True})
    assert "\n" not in str(err.value)


class FakeCapture:
    """cv2.VideoCapture stand-in: a few BGR frames, then end of stream."""

    def __init__(self, frames: int) -> None:
        self.left, self.released = frames, False

    def isOpened(self) -> bool:
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.left == 0:
            return False, None
        self.left -= 1
        return True, np.full((24, 32, 3), 40 * self.left, np.uint8)

    def release(self) -> None:
        self.released = True


def test_webcam_source_with_a_fake_capture(tmp_path: Path) -> None:
    cap = FakeCapture(5)
    rows = collect_identity("a", tmp_path, {"kind": "webcam", "frames": 10, "capture": cap})
    assert len(rows) == 5 and cap.released and (tmp_path / "webcam.mp4").is_file()
    assert rows[0]["source"] == "webcam.mp4"
    with pytest.raises(FaceswapError, match="no frames"):
        collect_identity("a", tmp_path, {"kind": "webcam", "frames": 3, "capture": FakeCapture(0)})


@pytest.mark.parametrize("content", [b"", b"hello, I am text\n" * 10])
def test_text_or_empty_file_named_mp4(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(content)
    with pytest.raises(FaceswapError) as err:
        collect_identity("a", tmp_path, {"kind": "video", "path": str(bad)})
    assert "\n" not in str(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    try:
        with pytest.raises(FaceswapError, match="not readable"):
            collect_identity("a", tmp_path, {"kind": "images", "path": str(folder)})
    finally:
        folder.chmod(0o755)


def test_unreadable_folder_check_without_root(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(FaceswapError, match="not readable"):
        collect_identity("a", tmp_path, {"kind": "images", "path": str(folder)})


def test_bad_config_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="choose one of"):
        collect_identity("a", tmp_path, {"kind": "youtube"})
    with pytest.raises(ConfigError, match="bad option"):
        collect_identity("a", tmp_path, {"kind": "images", "path": "x", "colour": 1})
    with pytest.raises(FaceswapError, match="not found"):
        collect_identity("a", tmp_path, {"kind": "images", "path": str(tmp_path / "missing")})


def test_collect_stage_with_video_data_and_limit(compose_cfg, tmp_path: Path) -> None:
    clip = _clip(tmp_path / "a.mp4", frames=40)
    cfg = compose_cfg(
        "collect",
        ["data=video", f"data.identities.a.path={clip}", f"data.identities.b.path={clip}", "data.identities.b.every=2"],
    )
    result = collect.run(cfg)
    assert result["frames"] == 24 + 20  # debug=fast caps every identity at data.limit=24
    rows = read_jsonl(Path(cfg.paths.collect_dir) / "b" / "manifest.jsonl")
    assert [r["frame_index"] for r in rows][:3] == [0, 2, 4]


def test_unknown_identity_name(compose_cfg) -> None:
    with pytest.raises(ConfigError, match="unknown identities"):
        collect.run(compose_cfg("collect", ["collect.identities=[zz]"]))


def test_frame_bgr_conversion_of_webcam(tmp_path: Path) -> None:
    class Red(FakeCapture):
        def read(self):
            ok, frame = super().read()
            if ok:
                frame[:] = (0, 0, 255)  # BGR red
            return ok, frame

    collect_identity("a", tmp_path, {"kind": "webcam", "frames": 2, "capture": Red(2)})
    cap = cv2.VideoCapture(str(tmp_path / "webcam.mp4"))
    ok, bgr = cap.read()
    assert ok and bgr[..., 2].mean() > 200 and bgr[..., 0].mean() < 60
